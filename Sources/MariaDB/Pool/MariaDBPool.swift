public import Logging
import Synchronization

/// A bounded pool of ``MariaDBConnection``s, safe to share between tasks.
///
/// Connections open lazily, up to ``MariaDBConfiguration/PoolOptions/maxConnections``; callers beyond
/// that wait in FIFO order for at most ``MariaDBConfiguration/PoolOptions/acquireTimeout`` and then get
/// ``MariaDBError/Code-swift.struct/poolTimeout``. A connection that lost its server is discarded and
/// replaced on the next demand, and the other idle connections are pinged before reuse, so after a
/// server restart the first call may fail with a retriable error (`.lostConnection`/`.serverGone`)
/// and a retry succeeds on the same pool. Connections idle longer than
/// ``MariaDBConfiguration/PoolOptions/validationInterval`` are pinged before reuse too.
/// Connect failures surface as `.connectionFailed`; retrying is the caller's choice.
public final class MariaDBPool: Sendable {
    /// The configuration every connection is opened with.
    public let configuration: MariaDBConfiguration
    private let logger: Logger
    private let state: Mutex<PoolStateMachine>

    /// Creates a pool; no connection is opened until the first use.
    /// - Parameters:
    ///   - configuration: Server, credentials and pool options.
    ///   - logger: Receives debug logs about connections opened, discarded and closed.
    public init(configuration: MariaDBConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.state = Mutex(
            PoolStateMachine(
                maxConnections: configuration.pool.maxConnections,
                validationInterval: configuration.pool.validationInterval
            ))
    }

    /// Connections currently open or being opened (idle and leased). Never above `maxConnections`.
    public var openConnectionCount: Int { state.withLock { $0.openConnections } }

    /// Leases a connection for the duration of `body` and returns it to the pool afterwards.
    ///
    /// If the connection broke (lost connection, server gone) it is closed instead of returned.
    /// A transaction the body left open is rolled back before the connection is reused.
    /// - Parameter body: The work; the connection must not escape it.
    /// - Returns: What `body` returned.
    /// - Throws: `.poolTimeout`, `.poolShutdown`, `.connectionFailed`, or the body's error.
    public func withConnection<T>(_ body: (MariaDBConnection) async throws -> T) async throws -> T {
        let handle = try await checkout()
        let connection = MariaDBConnection(handle: handle)
        do {
            let result = try await body(connection)
            connection.invalidate()
            await checkin(handle)
            return result
        } catch {
            connection.invalidate()
            await checkin(handle)
            throw error
        }
    }

    /// Runs `body` in a transaction on a pooled connection; see ``MariaDBConnection/withTransaction(_:)``.
    /// - Parameter body: The work; rolled back if it throws.
    /// - Returns: What `body` returned.
    /// - Throws: The body's error, `.commitOutcomeUnknown` when `COMMIT`'s answer was lost, or pool errors.
    public func withTransaction<T>(_ body: (MariaDBConnection) async throws -> T) async throws -> T {
        try await withConnection { connection in
            try await connection.withTransaction(body)
        }
    }

    /// Runs a query on a pooled connection.
    /// - Parameter query: The statement with bound values.
    /// - Returns: All rows.
    /// - Throws: ``MariaDBError``.
    public func query(_ query: SQLQuery) async throws -> [MariaDBRow] {
        try await withConnection { try await $0.query(query) }
    }

    /// Executes a statement on a pooled connection.
    /// - Parameter query: The statement with bound values.
    /// - Returns: Affected rows and last insert id.
    /// - Throws: ``MariaDBError``.
    @discardableResult
    public func execute(_ query: SQLQuery) async throws -> MariaDBExecuteResult {
        try await withConnection { try await $0.execute(query) }
    }

    /// Runs a multi-statement script on a pooled connection; see ``MariaDBConnection/executeScript(_:)``.
    /// - Parameter sql: Trusted SQL text.
    /// - Throws: ``MariaDBError`` with ``MariaDBError/statementIndex`` set.
    public func executeScript(_ sql: String) async throws {
        try await withConnection { try await $0.executeScript(sql) }
    }

    /// Stops the pool: fails waiting callers with `.poolShutdown`, closes idle connections, waits until
    /// leased connections come back and closes them. Later calls throw `.poolShutdown`.
    public func shutdown() async {
        let (waiters, idle) = state.withLock { $0.shutdown() }
        for waiter in waiters {
            waiter.resume(throwing: MariaDBError(.poolShutdown, message: "the pool is shut down"))
        }
        for handle in idle { await handle.close() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            if !state.withLock({ $0.awaitDrained(continuation) }) { continuation.resume() }
        }
        logger.debug("mariadb pool shut down")
    }

    // MARK: Leasing

    private func checkout() async throws -> ConnectionHandle {
        var lease: PoolStateMachine.Lease
        switch state.withLock({ $0.acquire(now: .now, waiter: nil) }) {
        case .lease(let immediate): lease = immediate
        case .fail(let error): throw error
        case .wait, .cancelled: lease = try await waitForSlot()
        }
        while true {
            switch lease {
            case .open:
                return try await openInSlot()
            case .connection(let handle, let validate):
                guard validate else { return handle }
                do {
                    try await handle.perform { handle, mysql throws(MariaDBError) in try handle.runPing(mysql: mysql) }
                    return handle
                } catch {
                    logger.debug("mariadb idle connection failed its ping; replacing it", metadata: ["error": "\(error)"])
                    await handle.close()
                    lease = .open  // keep the slot, open a fresh connection in it
                }
            }
        }
    }

    private func openInSlot() async throws -> ConnectionHandle {
        do {
            return try await ConnectionHandle.connect(configuration: configuration, logger: logger)
        } catch {
            let action = state.withLock { $0.releaseEmpty(serverLost: false) }
            perform(action)
            throw error
        }
    }

    private func waitForSlot() async throws -> PoolStateMachine.Lease {
        let id = state.withLock { $0.makeWaiterID() }
        let timeout = configuration.pool.acquireTimeout
        let timer = Task { [self] in
            try? await Task.sleep(for: timeout)
            guard !Task.isCancelled, let waiter = state.withLock({ $0.removeWaiter(id: id) }) else { return }
            waiter.resume(
                throwing: MariaDBError(.poolTimeout, message: "no connection became free within \(timeout)"))
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: PoolStateMachine.Waiter) in
                // Checked under the lock, so a cancellation either sees the queued waiter or is seen here.
                let action = state.withLock { machine -> PoolStateMachine.AcquireAction in
                    if Task.isCancelled { return .cancelled }
                    return machine.acquire(now: .now, waiter: (id, continuation))
                }
                switch action {
                case .lease(let lease): continuation.resume(returning: lease)
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .fail(let error): continuation.resume(throwing: error)
                case .wait: break
                }
            }
        } onCancel: {
            state.withLock { $0.removeWaiter(id: id) }?.resume(throwing: CancellationError())
        }
    }

    private func checkin(_ handle: ConnectionHandle) async {
        if !handle.isBroken, handle.isInTransaction {
            // The body left a transaction open: never hand that state to the next caller.
            do {
                try await handle.perform { handle, mysql throws(MariaDBError) in try handle.runText("ROLLBACK", mysql: mysql) }
            } catch {
                handle.markBroken()
            }
        }
        if handle.isBroken {
            logger.debug("mariadb connection discarded after an error", metadata: ["connection": "\(handle.connectionID)"])
            await handle.close()
            perform(state.withLock { $0.releaseEmpty(serverLost: true) })
            return
        }
        switch state.withLock({ $0.release(handle, now: .now) }) {
        case .pooled:
            break
        case .handOver(let action):
            perform(action)
        case .close:
            await handle.close()
            perform(state.withLock { $0.releaseEmpty(serverLost: false) })
        }
    }

    private func perform(_ action: PoolStateMachine.ReturnAction) {
        if let (waiter, lease) = action.resume { waiter.resume(returning: lease) }
        for continuation in action.finishShutdown { continuation.resume() }
    }
}
