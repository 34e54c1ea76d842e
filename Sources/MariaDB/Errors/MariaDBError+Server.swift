import Foundation

extension MariaDBError {
    /// Maps a server or Connector/C error number to a ``MariaDBError`` and redacts quoted values.
    /// - Parameters:
    ///   - number: The error number from `mysql_errno` / `mysql_stmt_errno`.
    ///   - sqlState: The SQLSTATE from `mysql_sqlstate` / `mysql_stmt_sqlstate`.
    ///   - message: The raw message from `mysql_error` / `mysql_stmt_error`.
    static func server(number: UInt32, sqlState: String?, message: String) -> MariaDBError {
        MariaDBError(
            code(forServerError: number),
            message: redactingValues(in: message),
            serverErrorNumber: number,
            sqlState: sqlState.flatMap { $0.isEmpty || $0 == "00000" ? nil : $0 }
        )
    }

    /// The ``Code-swift.struct`` for a server or client error number.
    static func code(forServerError number: UInt32) -> Code {
        switch number {
        case 1062, 1586: .duplicateKey
        case 1213: .deadlock
        case 1205: .lockWaitTimeout
        case 2013, 2055, 1927, 4031: .lostConnection
        case 2006, 1053: .serverGone
        case 2002, 2003, 2005, 2012: .connectionFailed
        case 2026: .tlsFailed
        case 1044, 1045, 1698: .accessDenied
        case 4025: .checkViolation
        case 1064: .syntax
        default: .other
        }
    }

    /// Server messages quote offending values (`Duplicate entry 'x' for key 'k'`,
    /// `Incorrect integer value: 'x' for column …`). Those values can be personal data, so the
    /// quoted part after a known marker is replaced with `'…'`; the rest (key, column) stays.
    static func redactingValues(in message: String) -> String {
        let markers = ["entry '", "value: '", "value '"]
        var result = message
        for marker in markers {
            guard let start = result.range(of: marker) else { continue }
            let tail = result[start.upperBound...]
            // The value ends at the last "' for " (values themselves may contain quotes), else at the last quote.
            let end = tail.range(of: "' for ", options: .backwards)?.lowerBound ?? tail.lastIndex(of: "'")
            guard let end else { continue }
            result.replaceSubrange(start.upperBound..<end, with: "…")
        }
        return result
    }
}
