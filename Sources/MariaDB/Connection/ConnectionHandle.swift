import CMariaDB
import Logging
import Synchronization

/// One open libmariadb connection and the thread that owns it.
///
/// The `MYSQL` handle and the statement cache are touched only by jobs on ``executor``; that thread
/// confinement is why the type can be `@unchecked Sendable`. Shared by ``MariaDBConnection`` (the
/// non-Sendable facade callers see) and ``MariaDBPool``.
final class ConnectionHandle: @unchecked Sendable {
    let executor: BlockingExecutor
    /// The server's id for this connection (`CONNECTION_ID()`), for logs and `KILL`.
    let connectionID: UInt64
    let logger: Logger

    // Executor thread only.
    private var mysql: UnsafeMutablePointer<MYSQL>?
    private var statements: StatementCache

    private let brokenFlag = Atomic<Bool>(false)
    private let inTransactionFlag = Atomic<Bool>(false)
    private let closedFlag = Atomic<Bool>(false)

    /// The default bound for cached prepared statements per connection.
    static let statementCacheCapacity = 128

    private init(executor: BlockingExecutor, mysql: UnsafeMutablePointer<MYSQL>, logger: Logger) {
        self.executor = executor
        self.mysql = mysql
        self.connectionID = UInt64(mysql_thread_id(mysql))
        self.statements = StatementCache(capacity: Self.statementCacheCapacity)
        var logger = logger
        logger[metadataKey: "mariadb.connection"] = "\(connectionID)"
        self.logger = logger
    }

    deinit {
        // Normally closed already; if a caller dropped a connection without closing it, close it
        // on its own thread (no job can still reference self here).
        if let mysql {
            let leftovers = statements.removeAll()
            let box = UncheckedBox((mysql, leftovers))
            executor.submit {
                for statement in box.value.1 { statement.close() }
                mysql_close(box.value.0)
            }
        }
        executor.stop()
    }

    /// Opens a connection on a new dedicated thread.
    /// - Throws: ``MariaDBError`` `.connectionFailed` or `.accessDenied` (or `.other` for bad settings).
    static func connect(configuration: MariaDBConfiguration, logger: Logger) async throws -> ConnectionHandle {
        let executor = BlockingExecutor(name: "mariadb")
        do {
            let box = try await executor.run { UncheckedBox(try ConnectionHandle.open(configuration)) }
            let handle = ConnectionHandle(executor: executor, mysql: box.value, logger: logger)
            handle.logger.debug("mariadb connection opened")
            return handle
        } catch {
            executor.stop()
            throw error
        }
    }

    /// Whether an error showed the connection cannot be used again (lost, server gone, closed).
    var isBroken: Bool { brokenFlag.load(ordering: .acquiring) || closedFlag.load(ordering: .acquiring) }

    /// Whether the server reported an open transaction after the last operation.
    var isInTransaction: Bool { inTransactionFlag.load(ordering: .acquiring) }

    func markBroken() {
        brokenFlag.store(true, ordering: .releasing)
    }

    /// Runs `body` on the connection's thread with the live `MYSQL` handle; records broken state.
    func perform<T: Sendable>(
        _ body: @escaping @Sendable (ConnectionHandle, UnsafeMutablePointer<MYSQL>) throws(MariaDBError) -> T
    ) async throws -> T {
        guard !closedFlag.load(ordering: .acquiring) else {
            throw MariaDBError(.connectionClosed, message: "the connection is closed")
        }
        return try await executor.run { [self] () throws(MariaDBError) -> T in
            guard let mysql = self.mysql else {
                throw MariaDBError(.connectionClosed, message: "the connection is closed")
            }
            defer {
                self.inTransactionFlag.store(
                    cmariadb_server_status(mysql) & UInt32(SERVER_STATUS_IN_TRANS) != 0, ordering: .releasing)
            }
            do throws(MariaDBError) {
                return try body(self, mysql)
            } catch {
                if error.breaksConnection { self.markBroken() }
                self.logger.debug("mariadb operation failed", metadata: ["error": "\(error)"])
                throw error
            }
        }
    }

    /// Closes the statements and the connection, then ends the thread. Safe to call twice.
    func close() async {
        guard !closedFlag.exchange(true, ordering: .acquiringAndReleasing) else { return }
        _ = try? await executor.run { [self] in self.closeOnThread() }
        executor.stop()
        logger.debug("mariadb connection closed")
    }

    private func closeOnThread() {
        for statement in statements.removeAll() { statement.close() }
        if let mysql { mysql_close(mysql) }
        mysql = nil
    }

    // MARK: Executor-thread operations

    /// Runs a prepared statement from the cache (preparing and caching it on first use).
    func runPrepared(_ query: SQLQuery, collectRows: Bool, mysql: UnsafeMutablePointer<MYSQL>) throws(MariaDBError)
        -> StatementOutcome
    {
        let statement: PreparedStatement
        if let cached = statements.statement(for: query.sql) {
            statement = cached
        } else {
            statement = try PreparedStatement(sql: query.sql, mysql: mysql)
            statements.insert(statement, for: query.sql)?.close()
        }
        do throws(MariaDBError) {
            return try statement.execute(binds: query.binds, collectRows: collectRows)
        } catch {
            // A statement that failed may be in an odd state (or its connection dead): do not reuse it.
            _ = statements.remove(query.sql)
            statement.close()
            throw error
        }
    }

    /// Runs SQL over the text protocol, reading every result; statements are counted from 1 for errors.
    func runText(_ sql: String, mysql: UnsafeMutablePointer<MYSQL>) throws(MariaDBError) {
        var utf8 = sql
        let rc = utf8.withUTF8 { buffer in
            buffer.withMemoryRebound(to: CChar.self) { mysql_real_query(mysql, $0.baseAddress, UInt($0.count)) }
        }
        var index = 1
        guard rc == 0 else {
            var error = MariaDBError.fromConnection(mysql)
            error.statementIndex = index
            throw error
        }
        while true {
            if let result = mysql_store_result(mysql) {
                mysql_free_result(result)
            } else if mysql_field_count(mysql) != 0 {
                var error = MariaDBError.fromConnection(mysql)
                error.statementIndex = index
                throw error
            }
            let status = mysql_next_result(mysql)
            if status == -1 { return }
            index += 1
            if status > 0 {
                var error = MariaDBError.fromConnection(mysql)
                error.statementIndex = index
                throw error
            }
        }
    }

    /// `mysql_ping`; fails with `.serverGone`/`.lostConnection` when the server is not there.
    func runPing(mysql: UnsafeMutablePointer<MYSQL>) throws(MariaDBError) {
        if mysql_ping(mysql) != 0 {
            throw MariaDBError.fromConnection(mysql)
        }
    }
}

/// Moves a value that is only ever used on one thread at a time between threads.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
