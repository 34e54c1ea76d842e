public import Configuration

extension MariaDBConfiguration {
    /// Reads a configuration from `config` (for services: the `db` scope of the settings).
    ///
    /// ## Configuration keys
    /// - `host` (string, default `127.0.0.1`), `port` (int, default 3306), `socket` (string, optional)
    /// - `user` (string, default `reward`), `password` (string, secret, default empty)
    /// - `name` (string, optional): the database
    /// - `pool.maxConnections` (int, default 8), `pool.acquireTimeoutMs` (int, default 10000)
    /// - `connectTimeoutMs`, `readTimeoutMs`, `writeTimeoutMs`, `lockWaitTimeoutMs` (int)
    /// - `transactionIsolation` (string, optional): `READ COMMITTED`, `REPEATABLE READ`, … (also
    ///   with dashes or underscores, any case); an unknown value keeps the server's default
    /// - `tls.ca`, `tls.cert`, `tls.key` (paths of PEM files), `tls.verifyServerCertificate` (bool,
    ///   default true), `tls.enabled` (bool): TLS is on when `tls.enabled` is true or any file is named
    public init(config: ConfigReader) {
        self.init(
            user: config.string(forKey: "user", default: "reward"),
            password: config.string(forKey: "password", isSecret: true, default: ""),
            database: config.string(forKey: "name"))
        host = config.string(forKey: "host", default: host)
        port = config.int(forKey: "port", default: port)
        unixSocket = config.string(forKey: "socket")
        pool.maxConnections = config.int(forKey: "pool.maxConnections", default: pool.maxConnections)
        pool.acquireTimeout = config.milliseconds("pool.acquireTimeoutMs", default: pool.acquireTimeout)
        connectTimeout = config.milliseconds("connectTimeoutMs", default: connectTimeout)
        readTimeout = config.milliseconds("readTimeoutMs", default: readTimeout)
        writeTimeout = config.milliseconds("writeTimeoutMs", default: writeTimeout)
        lockWaitTimeout = config.milliseconds("lockWaitTimeoutMs", default: lockWaitTimeout)
        let tlsFiles = (config.string(forKey: "tls.ca"), config.string(forKey: "tls.cert"), config.string(forKey: "tls.key"))
        if config.bool(forKey: "tls.enabled", default: false) || tlsFiles.0 != nil || tlsFiles.1 != nil || tlsFiles.2 != nil {
            var tls = TLS(certificateAuthorityFile: tlsFiles.0)
            tls.certificateFile = tlsFiles.1
            tls.keyFile = tlsFiles.2
            tls.verifyServerCertificate = config.bool(forKey: "tls.verifyServerCertificate", default: true)
            self.tls = tls
        }
        transactionIsolation = config.string(forKey: "transactionIsolation").flatMap { text in
            TransactionIsolation(rawValue: String(text.uppercased().map { $0 == "-" || $0 == "_" ? " " : $0 }))
        }
    }
}

extension ConfigReader {
    fileprivate func milliseconds(_ key: String, default value: Duration) -> Duration {
        .milliseconds(int(forKey: ConfigKey(key), default: Int(value.components.seconds * 1000)))
    }
}
