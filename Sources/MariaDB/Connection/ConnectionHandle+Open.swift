import CMariaDB

extension ConnectionHandle {
    /// Connects on the calling (executor) thread: options, handshake, session time zone.
    /// - Throws: ``MariaDBError`` `.connectionFailed`, `.accessDenied`, `.tlsFailed`, or `.other` for invalid settings.
    static func open(_ configuration: MariaDBConfiguration) throws(MariaDBError) -> UnsafeMutablePointer<MYSQL> {
        guard MariaDBLibrary.ensureInitialized() else {
            throw MariaDBError(.connectionFailed, message: "mysql_library_init failed")
        }
        guard Self.isSafeTimeZone(configuration.sessionTimeZone) else {
            throw MariaDBError(.other, message: "sessionTimeZone may only contain letters, digits and + - : / _")
        }
        if let problem = configuration.tls?.problem {
            throw MariaDBError(.tlsFailed, message: "\(configuration.host):\(configuration.port): \(problem)")
        }
        guard let mysql = mysql_init(nil) else {
            throw MariaDBError(.connectionFailed, message: "mysql_init failed (out of memory)")
        }
        var connected = false
        defer { if !connected { mysql_close(mysql) } }

        cmariadb_set_option_uint(mysql, MYSQL_OPT_CONNECT_TIMEOUT, seconds(configuration.connectTimeout))
        cmariadb_set_option_uint(mysql, MYSQL_OPT_READ_TIMEOUT, seconds(configuration.readTimeout))
        cmariadb_set_option_uint(mysql, MYSQL_OPT_WRITE_TIMEOUT, seconds(configuration.writeTimeout))
        cmariadb_set_option_bool(mysql, MYSQL_OPT_RECONNECT, 0)  // a silent reconnect would lose session state
        cmariadb_set_option_uint(mysql, MYSQL_OPT_LOCAL_INFILE, 0)
        cmariadb_set_option_string(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4")
        // A row-lock wait must end (as a typed lock-wait timeout) before the read timeout would
        // end it as a lost connection and discard the connection.
        let lockWait = max(1, min(seconds(configuration.lockWaitTimeout), max(1, seconds(configuration.readTimeout) - 1)))
        cmariadb_set_option_string(
            mysql, MYSQL_INIT_COMMAND,
            "SET time_zone = '\(configuration.sessionTimeZone)', innodb_lock_wait_timeout = \(lockWait)")
        if let isolation = configuration.transactionIsolation {
            // A second init command (Connector/C runs them in order): the level every transaction runs at.
            cmariadb_set_option_string(mysql, MYSQL_INIT_COMMAND, "SET SESSION TRANSACTION ISOLATION LEVEL \(isolation.rawValue)")
        }
        let useSocket = configuration.unixSocket != nil
        cmariadb_set_option_uint(
            mysql, MYSQL_OPT_PROTOCOL, useSocket ? MYSQL_PROTOCOL_SOCKET.rawValue : MYSQL_PROTOCOL_TCP.rawValue)

        if let tls = configuration.tls { applyTLS(tls, to: mysql) }

        let flags = UInt(CLIENT_MULTI_STATEMENTS) | UInt(CLIENT_MULTI_RESULTS)
        let result = mysql_real_connect(
            mysql,
            useSocket ? "localhost" : configuration.host,
            configuration.user,
            configuration.password,
            configuration.database,
            UInt32(clamping: configuration.port),
            configuration.unixSocket,
            flags
        )
        guard result != nil else {
            var error = MariaDBError.fromConnection(mysql)
            if error.code == .tlsFailed, configuration.tls?.verifyServerCertificate == true {
                error.message += " (is the server's certificate signed by the CA in tls.ca, and does it name \(configuration.host)?)"
            } else if error.code != .accessDenied && error.code != .tlsFailed {
                error.code = .connectionFailed
            }
            throw error
        }
        // Connector/C (3.3) goes on in plaintext when the server offers no TLS and the certificate
        // is not verified, MYSQL_OPT_SSL_ENFORCE or not: check what was negotiated.
        if configuration.tls != nil, mysql_get_ssl_cipher(mysql) == nil {
            throw MariaDBError(.tlsFailed, message: "\(configuration.host):\(configuration.port) offers no TLS, and TLS is configured (db.tls.*): refusing to go on in plaintext")
        }
        connected = true
        return mysql
    }

    /// TLS once asked for: with verification on, Connector/C fails the handshake rather than go on in
    /// plaintext; with it off, `open` checks the negotiated cipher afterwards.
    private static func applyTLS(_ tls: MariaDBConfiguration.TLS, to mysql: UnsafeMutablePointer<MYSQL>) {
        if let path = tls.certificateAuthorityFile { cmariadb_set_option_string(mysql, MYSQL_OPT_SSL_CA, path) }
        if let path = tls.certificateFile { cmariadb_set_option_string(mysql, MYSQL_OPT_SSL_CERT, path) }
        if let path = tls.keyFile { cmariadb_set_option_string(mysql, MYSQL_OPT_SSL_KEY, path) }
        cmariadb_set_option_bool(mysql, MYSQL_OPT_SSL_ENFORCE, 1)
        cmariadb_set_option_bool(mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, tls.verifyServerCertificate ? 1 : 0)
    }

    /// A timeout as whole seconds for Connector/C, rounded up, at least 1.
    private static func seconds(_ duration: Duration) -> UInt32 {
        let (seconds, attoseconds) = duration.components
        let total = seconds + (attoseconds > 0 ? 1 : 0)
        return UInt32(clamping: max(1, total))
    }

    /// The time zone goes into an `INIT_COMMAND` string literal, so only harmless characters pass.
    private static func isSafeTimeZone(_ zone: String) -> Bool {
        !zone.isEmpty && zone.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "+-:/_".unicodeScalars.contains(scalar))
        }
    }
}
