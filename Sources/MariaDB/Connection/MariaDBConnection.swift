public import Logging

/// One connection to MariaDB. Every call runs its blocking libmariadb work on the connection's own
/// thread, never on Swift's cooperative pool.
///
/// Not `Sendable`: use a connection from one task at a time, inside the scope that produced it
/// (``MariaDBPool/withConnection(_:)``, ``withTransaction(_:)``). A pooled connection used after its
/// scope ended throws ``MariaDBError/Code-swift.struct/connectionClosed``.
///
/// ``query(_:)`` and ``execute(_:)`` use the binary protocol with prepared statements, cached per
/// connection by SQL text (up to 128, least recently used closed first).
public final class MariaDBConnection {
    let handle: ConnectionHandle
    private var isUsable = true

    /// Wraps a handle; a standalone connection's handle closes itself when the last reference goes.
    init(handle: ConnectionHandle) {
        self.handle = handle
    }

    /// Opens a standalone connection (outside any pool). Close it with ``close()``.
    /// - Parameters:
    ///   - configuration: Where and how to connect; ``MariaDBConfiguration/pool`` is ignored.
    ///   - logger: Receives debug logs tagged with the connection id.
    /// - Throws: ``MariaDBError`` `.connectionFailed`, `.accessDenied` or `.tlsFailed`.
    public static func connect(configuration: MariaDBConfiguration, logger: Logger) async throws -> MariaDBConnection {
        let handle = try await ConnectionHandle.connect(configuration: configuration, logger: logger)
        return MariaDBConnection(handle: handle)
    }

    /// The server's id for this connection (`CONNECTION_ID()`), e.g. for `KILL` or the process list.
    public var connectionID: UInt64 { handle.connectionID }

    /// Whether an error showed that this connection cannot be used any more.
    public var isBroken: Bool { handle.isBroken || !isUsable }

    /// Ends a pooled connection's scope: later calls throw `.connectionClosed`.
    func invalidate() {
        isUsable = false
    }

    private func checkUsable() throws {
        guard isUsable else {
            throw MariaDBError(.connectionClosed, message: "the connection was used outside the scope that leased it")
        }
    }

    /// Runs a statement that returns rows, with its interpolated values bound as parameters.
    /// - Parameter query: The statement, e.g. `"SELECT id FROM t WHERE owner = \(owner)"`.
    /// - Returns: All rows, read into memory.
    /// - Throws: ``MariaDBError`` from the server, the network or decoding.
    public func query(_ query: SQLQuery) async throws -> [MariaDBRow] {
        try checkUsable()
        return try await handle.perform { handle, mysql throws(MariaDBError) in
            try handle.runPrepared(query, collectRows: true, mysql: mysql).rows
        }
    }

    /// Runs a statement for its effect (`INSERT`, `UPDATE`, `DELETE`, DDL).
    /// - Parameter query: The statement with bound values.
    /// - Returns: Affected rows and the last insert id.
    /// - Throws: ``MariaDBError``, e.g. `.duplicateKey`, `.deadlock`, `.lostConnection`.
    @discardableResult
    public func execute(_ query: SQLQuery) async throws -> MariaDBExecuteResult {
        try checkUsable()
        let outcome = try await handle.perform { handle, mysql throws(MariaDBError) in
            try handle.runPrepared(query, collectRows: false, mysql: mysql)
        }
        return MariaDBExecuteResult(affectedRows: outcome.affectedRows, lastInsertID: outcome.lastInsertID)
    }

    /// Runs a script of `;`-separated statements over the text protocol (no binds), e.g. a migration.
    ///
    /// Statements run in order until one fails; the rest are not run. DDL commits implicitly in MariaDB,
    /// so a failing script can leave earlier statements applied.
    /// - Parameter sql: Trusted SQL text with one or more statements.
    /// - Throws: ``MariaDBError`` whose ``MariaDBError/statementIndex`` is the 1-based failing statement.
    public func executeScript(_ sql: String) async throws {
        try checkUsable()
        try await handle.perform { handle, mysql throws(MariaDBError) in
            try handle.runText(sql, mysql: mysql)
        }
    }

    /// Checks that the server still answers.
    /// - Throws: ``MariaDBError`` `.serverGone` or `.lostConnection` when it does not.
    public func ping() async throws {
        try checkUsable()
        try await handle.perform { handle, mysql throws(MariaDBError) in
            try handle.runPing(mysql: mysql)
        }
    }

    /// Closes a standalone connection. On a pooled connection it closes the underlying connection,
    /// which the pool then discards.
    public func close() async {
        isUsable = false
        await handle.close()
    }

    /// Runs trusted single-statement SQL over the text protocol (`BEGIN`, `COMMIT`, `ROLLBACK`).
    func simpleCommand(_ sql: String) async throws {
        try await handle.perform { handle, mysql throws(MariaDBError) in
            try handle.runText(sql, mysql: mysql)
        }
    }
}
