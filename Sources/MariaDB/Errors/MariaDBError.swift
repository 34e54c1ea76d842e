/// An error from the MariaDB layer: a server or client error, a pool condition, or a decoding failure.
///
/// Switch on ``code`` to react to a condition; ``serverErrorNumber`` and ``sqlState`` carry the raw
/// numbers from the server or Connector/C when there are any. Neither ``message`` nor ``description``
/// contains bound values or the password: server messages that quote a value (such as
/// `Duplicate entry '…' for key …`) are redacted before they are stored.
public struct MariaDBError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as a value callers can switch on.
    ///
    /// A struct rather than an enum so that new codes can be added without breaking callers' switches.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Base: String, Sendable, Hashable {
            case duplicateKey, deadlock, lockWaitTimeout, lostConnection, serverGone, connectionFailed
            case accessDenied, commitOutcomeUnknown, poolTimeout, poolShutdown, unexpectedNull
            case decodingFailed, checkViolation, syntax, connectionClosed, tlsFailed, other
        }

        let base: Base

        /// A unique key or primary key already holds the value (server error 1062).
        public static let duplicateKey = Code(base: .duplicateKey)
        /// The transaction was chosen as a deadlock victim and rolled back (1213).
        public static let deadlock = Code(base: .deadlock)
        /// A row lock was not granted within `innodb_lock_wait_timeout` (1205).
        public static let lockWaitTimeout = Code(base: .lockWaitTimeout)
        /// The connection broke during a request (2013, 2055) or was killed (1927).
        public static let lostConnection = Code(base: .lostConnection)
        /// The server went away (2006) or is shutting down (1053).
        public static let serverGone = Code(base: .serverGone)
        /// The server could not be reached (2002, 2003, 2005) or the handshake failed.
        public static let connectionFailed = Code(base: .connectionFailed)
        /// The server refused the credentials (1045) or the database (1044).
        public static let accessDenied = Code(base: .accessDenied)
        /// `COMMIT` was sent but the connection died before the answer arrived: the transaction
        /// may or may not have been committed. Re-check the outcome by the operation's idempotency key.
        public static let commitOutcomeUnknown = Code(base: .commitOutcomeUnknown)
        /// No pooled connection became free within ``MariaDBConfiguration/PoolOptions/acquireTimeout``.
        public static let poolTimeout = Code(base: .poolTimeout)
        /// The pool was shut down.
        public static let poolShutdown = Code(base: .poolShutdown)
        /// A SQL `NULL` was decoded into a non-optional type.
        public static let unexpectedNull = Code(base: .unexpectedNull)
        /// A column value could not be converted to the requested type, or the column does not exist.
        public static let decodingFailed = Code(base: .decodingFailed)
        /// A `CHECK` constraint failed (4025).
        public static let checkViolation = Code(base: .checkViolation)
        /// The SQL could not be parsed (1064).
        public static let syntax = Code(base: .syntax)
        /// The connection was closed by this process, or used outside the scope that leased it.
        public static let connectionClosed = Code(base: .connectionClosed)
        /// TLS was asked for and could not be had: the settings are incomplete, the server offers no
        /// TLS, or its certificate does not verify against the configured CA or host (2026).
        public static let tlsFailed = Code(base: .tlsFailed)
        /// Anything else; see ``MariaDBError/serverErrorNumber`` and ``MariaDBError/message``.
        public static let other = Code(base: .other)

        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public var code: Code
    /// The server's or Connector/C's error number (for example 1062), when the error came from there.
    public var serverErrorNumber: UInt32?
    /// The five-character SQLSTATE, when the server or Connector/C gave one.
    public var sqlState: String?
    /// A human-readable message without bound values or secrets.
    public var message: String
    /// For ``MariaDBConnection/executeScript(_:)``: the 1-based index of the statement that failed.
    public var statementIndex: Int?

    /// Creates an error value.
    /// - Parameters:
    ///   - code: What went wrong.
    ///   - message: A message that must not contain bound values or secrets.
    ///   - serverErrorNumber: The server's or client library's error number, if any.
    ///   - sqlState: The SQLSTATE, if any.
    public init(_ code: Code, message: String, serverErrorNumber: UInt32? = nil, sqlState: String? = nil) {
        self.code = code
        self.message = message
        self.serverErrorNumber = serverErrorNumber
        self.sqlState = sqlState
    }

    /// Whether trying the whole unit of work again (on a fresh transaction) may succeed:
    /// deadlock, lock wait timeout, lost connection and server gone.
    ///
    /// ``Code-swift.struct/commitOutcomeUnknown`` is deliberately not retriable: the work may
    /// already be committed, so the caller must re-check by its idempotency key first.
    public var isRetriable: Bool {
        switch code {
        case .deadlock, .lockWaitTimeout, .lostConnection, .serverGone: true
        default: false
        }
    }

    /// Whether the connection that produced this error can no longer be used.
    var breaksConnection: Bool {
        switch code {
        case .lostConnection, .serverGone, .commitOutcomeUnknown, .connectionClosed: true
        default: false
        }
    }

    public var description: String {
        var text = "MariaDBError.\(code)"
        if let serverErrorNumber { text += " (\(serverErrorNumber)" + (sqlState.map { ", \($0)" } ?? "") + ")" }
        if let statementIndex { text += " in statement \(statementIndex)" }
        return text + ": " + message
    }
}
