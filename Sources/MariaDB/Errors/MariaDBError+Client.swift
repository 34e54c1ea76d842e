import CMariaDB

extension MariaDBError {
    /// The last error on a `MYSQL` handle.
    static func fromConnection(_ mysql: UnsafeMutablePointer<MYSQL>) -> MariaDBError {
        server(
            number: mysql_errno(mysql),
            sqlState: mysql_sqlstate(mysql).map { String(cString: $0) },
            message: mysql_error(mysql).map { String(cString: $0) } ?? "unknown error"
        )
    }

    /// The last error on a `MYSQL_STMT` handle.
    static func fromStatement(_ statement: UnsafeMutablePointer<MYSQL_STMT>) -> MariaDBError {
        server(
            number: mysql_stmt_errno(statement),
            sqlState: mysql_stmt_sqlstate(statement).map { String(cString: $0) },
            message: mysql_stmt_error(statement).map { String(cString: $0) } ?? "unknown error"
        )
    }
}
