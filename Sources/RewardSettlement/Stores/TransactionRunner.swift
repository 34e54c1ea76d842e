import Logging
import MariaDB
import Metrics

/// Runs one settlement transaction with bounded, jittered retries, and re-checks an unknown commit.
///
/// Deadlocks, lock wait timeouts, duplicate keys (a concurrent settler won a race; the retry reads
/// its rows) and lost connections before `COMMIT` are retried a few times. A `COMMIT` whose answer
/// was lost is never retried blindly: `recheck` reads back by order id whether the work is there,
/// and only when it is not does the transaction run again.
///
/// Metrics: `reward_settlement_transaction_retries_total{step, error}` and
/// `reward_settlement_commit_rechecks_total{step, found}` (`committed` or `absent`).
struct TransactionRunner: Sendable {
    var maxAttempts: Int
    var baseBackoff: Duration
    var hooks: TransactionHooks
    var logger: Logger
    var metrics: any MetricsFactory

    init(maxAttempts: Int = 6, baseBackoff: Duration = .milliseconds(5), hooks: TransactionHooks = TransactionHooks(),
         logger: Logger, metrics: any MetricsFactory) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseBackoff = baseBackoff
        self.hooks = hooks
        self.logger = logger
        self.metrics = metrics
    }

    /// Runs `body` in a transaction on `pool`.
    /// - Parameters:
    ///   - step: Which step this is (hooks, logs).
    ///   - pool: The shard's pool.
    ///   - body: The statements; must be safe to run again after a rollback.
    ///   - recheck: After an unknown commit outcome: the committed result read back by key, or
    ///     `nil` when the transaction is not there (then it runs again).
    /// - Throws: The last error when every attempt failed, or the recheck's error.
    func run<T>(
        _ step: SettlementStep,
        on pool: MariaDBPool,
        body: (MariaDBConnection) async throws -> T,
        recheck: () async throws -> T?
    ) async throws -> T {
        try await attempting(step, unknownOutcome: { $0.code == .commitOutcomeUnknown }, recheck: recheck) {
            try await pool.withConnection { connection in
                // READ COMMITTED: locking reads and unique keys carry the logic; without gap
                // locks, batches that share order ids deadlock far less often. A pool that sets
                // it on every connection saves the round trip.
                if pool.configuration.transactionIsolation != .readCommitted {
                    try await connection.executeScript("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
                }
                return try await connection.withTransaction { connection in
                    let value = try await body(connection)
                    if let beforeCommit = hooks.beforeCommit { await beforeCommit(step, connection.connectionID) }
                    return value
                }
            }
        }
    }

    /// Runs one autocommit statement that is safe to repeat once `recheck` has found it absent.
    ///
    /// The statement is its own transaction: hooks run right before and after it, and a lost
    /// answer (lost connection, server gone, or an injected unknown outcome) is re-checked like an
    /// unknown `COMMIT` before the statement runs again.
    func runStatement<T>(
        _ step: SettlementStep,
        on pool: MariaDBPool,
        _ query: SQLQuery,
        result: (MariaDBExecuteResult) -> T,
        recheck: () async throws -> T?
    ) async throws -> T {
        let lostAnswer: (MariaDBError) -> Bool = {
            $0.code == .commitOutcomeUnknown || $0.code == .lostConnection || $0.code == .serverGone
        }
        return try await attempting(step, unknownOutcome: lostAnswer, recheck: recheck) {
            result(try await pool.withConnection { connection in
                if let beforeCommit = hooks.beforeCommit { await beforeCommit(step, connection.connectionID) }
                return try await connection.execute(query)
            })
        }
    }

    /// Runs one idempotent autocommit statement (safe to repeat whatever its first outcome was).
    @discardableResult
    func runIdempotent(_ step: SettlementStep, on pool: MariaDBPool, _ query: SQLQuery) async throws -> MariaDBExecuteResult {
        try await attempting(step, unknownOutcome: { _ in false }, recheck: { nil }) {
            try await pool.execute(query)
        }
    }

    /// The loop behind every run: an unknown outcome is re-checked first and run again only when
    /// absent; errors worth retrying back off and run again; anything else, or the last attempt's
    /// error, is thrown.
    private func attempting<T>(
        _ step: SettlementStep,
        unknownOutcome: (MariaDBError) -> Bool,
        recheck: () async throws -> T?,
        _ operation: () async throws -> T
    ) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                let value = try await operation()
                if let afterCommit = hooks.afterCommit { try await afterCommit(step) }
                return value
            } catch let error as MariaDBError where unknownOutcome(error) {
                // Read back before anything else: the work may be committed.
                if let committed = try await recheck() {
                    logger.warning("commit outcome unknown; re-check found it committed", metadata: ["step": "\(step.rawValue)"])
                    count("reward_settlement_commit_rechecks_total", step, ("found", "committed"))
                    return committed
                }
                count("reward_settlement_commit_rechecks_total", step, ("found", "absent"))
                logger.warning("commit outcome unknown; re-check found nothing committed, running it again",
                               metadata: ["step": "\(step.rawValue)", "attempt": "\(attempt)"])
                guard attempt < maxAttempts else { throw error }
            } catch let error as MariaDBError where Self.worthRetrying(error) && attempt < maxAttempts {
                logger.debug("transaction failed, retrying", metadata: [
                    "step": "\(step.rawValue)", "attempt": "\(attempt)", "error": "\(error.code)",
                ])
                count("reward_settlement_transaction_retries_total", step, ("error", "\(error.code)"))
            }
            try await backoff(attempt)
        }
    }

    private func count(_ label: String, _ step: SettlementStep, _ dimension: (String, String)) {
        Counter(label: label, dimensions: [("step", step.rawValue), dimension], factory: metrics).increment()
    }

    static func worthRetrying(_ error: MariaDBError) -> Bool {
        error.isRetriable || error.code == .duplicateKey
    }

    /// Exponential backoff with ±50% jitter, so two settlers that collided do not collide again.
    private func backoff(_ attempt: Int) async throws {
        let base = baseBackoff * (1 << min(attempt - 1, 6))
        let jittered = base * Double.random(in: 0.5...1.5)
        try await Task.sleep(for: min(jittered, .milliseconds(500)))
    }
}
