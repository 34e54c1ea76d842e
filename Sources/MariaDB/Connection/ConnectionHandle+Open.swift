import CMariaDB

extension ConnectionHandle {
    /// Connects on the calling (executor) thread: options, handshake, session time zone.
    /// - Throws: ``MariaDBError`` `.connectionFailed`, `.accessDenied`, or `.other` for invalid settings.
    static func open(_ configuration: MariaDBConfiguration) throws(MariaDBError) -> UnsafeMutablePointer<MYSQL> {
        guard MariaDBLibrary.ensureInitialized() else {
            throw MariaDBError(.connectionFailed, message: "mysql_library_init failed")
        }
        guard Self.isSafeTimeZone(configuration.sessionTimeZone) else {
            throw MariaDBError(.other, message: "sessionTimeZone may only contain letters, digits and + - : / _")
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
            if error.code != .accessDenied { error.code = .connectionFailed }
            throw error
        }
        connected = true
        return mysql
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
