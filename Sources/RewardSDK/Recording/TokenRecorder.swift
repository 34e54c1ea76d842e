import DequeModule
import Foundation
import Logging
import MariaDB
import Synchronization

/// Records granted tokens in `reward_tokens` for the wallet view, off the grant's path.
///
/// `record` only appends to a bounded in-memory queue and never waits: when the queue is full
/// the row is dropped with a log line and a metric (the token also travels inside the event, so
/// a consumer records any the SDK missed). Writer tasks take up to `batchSize` rows, or what
/// arrived within `flushInterval`, and write them with one multi-row `INSERT IGNORE`; a failed
/// batch is retried with exponential backoff and dropped (logged, counted) after
/// `maximumAttempts`. Batch sizes are rounded down to powers of two so each connection caches only
/// a handful of prepared statements. ``shutdown()`` writes everything still queued.
final class TokenRecorder: Sendable {
    private struct State {
        var rows = Deque<TokenRecord>()
        var waiters: [CheckedContinuation<Void, Never>] = []
        var closed = false
    }

    private enum Step {
        case take([TokenRecord])
        case wait
        case linger
        case finished
    }

    private let pool: MariaDBPool
    private let options: RewardClientConfiguration.TokenRecordingOptions
    private let logger: Logger
    private let metrics: SDKMetrics
    private let state = Mutex(State())
    private let writers = Mutex<[Task<Void, Never>]>([])
    private let statements = Atomic<Int>(0)
    private let written = Atomic<Int>(0)
    private let dropped = Atomic<Int>(0)
    /// The largest batch: `batchSize` rounded down to a power of two.
    private let maximumBatch: Int

    init(pool: MariaDBPool, options: RewardClientConfiguration.TokenRecordingOptions, logger: Logger, metrics: SDKMetrics) {
        self.pool = pool
        self.options = options
        self.logger = logger
        self.metrics = metrics
        self.maximumBatch = Self.powerOfTwo(atMost: max(1, options.batchSize))
    }

    func start() {
        writers.withLock { writers in
            guard writers.isEmpty else { return }
            for _ in 0..<max(1, options.writers) {
                writers.append(Task { [self] in
                    while let batch = await nextBatch() { await write(batch) }
                })
            }
        }
    }

    /// Queues one row; never waits. Drops it (log + metric) when the queue is full or closed.
    func record(_ row: TokenRecord) {
        let (accepted, waiter) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
            guard !state.closed, state.rows.count < options.queueCapacity else { return (false, nil) }
            state.rows.append(row)
            return (true, state.waiters.popLast())
        }
        waiter?.resume()
        guard !accepted else { return }
        metrics.tokensDroppedQueueFull.increment()
        let total = dropped.add(1, ordering: .relaxed).newValue
        if total == 1 || total % 10_000 == 0 {
            logger.warning("token recorder queue is full; tokens are dropped here and recorded by consumers from the events",
                           metadata: ["dropped": "\(total)", "capacity": "\(options.queueCapacity)"])
        }
    }

    var statistics: TokenRecorderStatistics {
        TokenRecorderStatistics(
            insertStatements: statements.load(ordering: .relaxed), rowsWritten: written.load(ordering: .relaxed),
            rowsDropped: dropped.load(ordering: .relaxed), rowsQueued: state.withLock { $0.rows.count })
    }

    /// Stops taking rows, writes every queued one (with the usual retries), then closes the pool.
    func shutdown() async {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.closed = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
        for writer in writers.withLock({ $0 }) { await writer.value }
        await pool.shutdown()
    }

    // MARK: Writing

    private func nextBatch() async -> [TokenRecord]? {
        var lingered = false
        while true {
            let step = state.withLock { state -> Step in
                if state.rows.isEmpty { return state.closed ? .finished : .wait }
                guard state.rows.count >= maximumBatch || state.closed || lingered else { return .linger }
                let count = Self.powerOfTwo(atMost: min(state.rows.count, maximumBatch))
                defer { state.rows.removeFirst(count) }
                return .take(Array(state.rows.prefix(count)))
            }
            switch step {
            case .take(let rows):
                return rows
            case .finished:
                return nil
            case .linger:
                // Let a batch gather for a few milliseconds instead of writing one row per statement.
                await linger()
                lingered = true
            case .wait:
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state -> Bool in
                        guard state.rows.isEmpty, !state.closed else { return true }
                        state.waiters.append(continuation)
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
                lingered = false
            }
        }
    }

    /// Waits up to `flushInterval`, in short steps so a full batch or shutdown ends the wait early.
    private func linger() async {
        let end = ContinuousClock.now + options.flushInterval
        while ContinuousClock.now < end {
            let full = state.withLock { $0.closed || $0.rows.count >= maximumBatch }
            if full { return }
            try? await Task.sleep(for: min(.milliseconds(5), end - ContinuousClock.now))
        }
    }

    private func write(_ rows: [TokenRecord]) async {
        var backoff = options.initialBackoff
        for attempt in 1...max(1, options.maximumAttempts) {
            do {
                statements.add(1, ordering: .relaxed)
                metrics.tokenInsertStatements.increment()
                try await pool.execute(Self.insert(rows))
                written.add(rows.count, ordering: .relaxed)
                metrics.tokensRecorded.increment(by: rows.count)
                return
            } catch {
                guard attempt < options.maximumAttempts else {
                    dropped.add(rows.count, ordering: .relaxed)
                    metrics.tokensDroppedWriteFailed.increment(by: rows.count)
                    logger.error("token rows dropped after retries; consumers record them from the events",
                                 metadata: ["rows": "\(rows.count)", "attempts": "\(attempt)", "error": "\(error)"])
                    return
                }
                logger.debug("token batch failed; retrying", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, options.maximumBackoff)
            }
        }
    }

    private static let columns =
        "INSERT IGNORE INTO reward_tokens (user_id, order_id, token, activity_id, scene_id, reward_type, amount, "
        + "issued_at, expires_at, recorded_by, recorded_at, granted_by) VALUES "
    private static let placeholders = "(?, ?, ?, ?, ?, ?, ?, ?, ?, 'sdk', ?, ?)"

    static func insert(_ rows: [TokenRecord]) -> SQLQuery {
        var binds: [MariaDBValue] = []
        binds.reserveCapacity(rows.count * 11)
        for row in rows {
            binds += [
                .string(row.userID), .string(row.orderID), .string(row.token), .string(row.activityID),
                .string(row.sceneID), .string(row.rewardType), .int(row.amount), .date(row.issuedAt),
                .date(row.expiresAt), .date(row.recordedAt), row.grantedBy.map(MariaDBValue.string) ?? .null,
            ]
        }
        let sql = columns + Array(repeating: placeholders, count: rows.count).joined(separator: ", ")
        return SQLQuery(sql: sql, binds: binds)
    }

    static func powerOfTwo(atMost value: Int) -> Int {
        guard value > 1 else { return 1 }
        return 1 << (Int.bitWidth - 1 - value.leadingZeroBitCount)
    }
}
