public import Foundation
public import MariaDB

/// One row of `dead_letters`: a record that could not be settled without a person.
public struct DeadLetter: Sendable, Codable, Hashable {
    public var id: Int64
    public var cluster: String
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var orderID: String?
    public var rewardType: String?
    public var reasonCode: String
    public var reason: String
    public var attempts: Int64
    public var replayCount: Int64
    public var state: String
    public var firstFailedAt: Date
    public var lastFailedAt: Date
    public var lastReplayedAt: Date?
    public var lastReplayOutcome: String?
    /// The record as it arrived (not in JSON lists).
    public var payload: [UInt8]?

    public var origin: String { "\(cluster)/\(topic)/\(partition)@\(offset)" }

    private enum CodingKeys: String, CodingKey {
        case id, cluster, topic, partition, offset, orderID, rewardType, reasonCode, reason, attempts, replayCount, state
        case firstFailedAt, lastFailedAt, lastReplayedAt, lastReplayOutcome
    }
}

/// Which dead letters a command looks at.
public struct DeadLetterFilter: Sendable {
    public var ids: [Int64] = []
    public var reasonCode: String?
    public var rewardType: String?
    public var since: Date?
    public var until: Date?
    /// `parked`, `replayed` or `discarded`; `nil` for any.
    public var state: String? = "parked"
    public var limit = 100
    /// Newest first (what is arriving now) instead of oldest first.
    public var newestFirst = false
    /// Whether rows carry their payload (up to 1 MiB each); lists that show no payload leave it out.
    public var withPayload = true

    public init() {}
}

/// Reads `dead_letters`.
public struct DeadLetterStore: Sendable {
    let pool: MariaDBPool

    public init(pool: MariaDBPool) { self.pool = pool }

    public func list(_ filter: DeadLetterFilter) async throws -> [DeadLetter] {
        var query: SQLQuery = """
            SELECT dead_letter_id, cluster, topic, topic_partition, topic_offset, order_id, reward_type, reason_code, reason,
                attempts, replay_count, state, first_failed_at, last_failed_at, last_replayed_at, last_replay_outcome,
                \(unescaped: filter.withPayload ? "payload" : "NULL AS payload")
            FROM dead_letters WHERE 1 = 1
            """
        if !filter.ids.isEmpty {
            query.append(sql: " AND dead_letter_id IN (")
            for (index, id) in filter.ids.enumerated() {
                if index > 0 { query.append(sql: ", ") }
                query.append(bind: id)
            }
            query.append(sql: ")")
        }
        if let state = filter.state { query.append(" AND state = \(state)") }
        if let reason = filter.reasonCode { query.append(" AND reason_code = \(reason)") }
        if let type = filter.rewardType { query.append(" AND reward_type = \(type)") }
        if let since = filter.since { query.append(" AND first_failed_at >= \(since)") }
        if let until = filter.until { query.append(" AND first_failed_at < \(until)") }
        query.append(sql: filter.newestFirst ? " ORDER BY dead_letter_id DESC" : " ORDER BY dead_letter_id")
        query.append(" LIMIT \(Int64(max(1, filter.limit)))")
        return try await pool.query(query).map { row in
            DeadLetter(
                id: try row.decode("dead_letter_id"), cluster: try row.decode("cluster"), topic: try row.decode("topic"),
                partition: Int32(try row.decode("topic_partition", as: Int64.self)), offset: try row.decode("topic_offset"),
                orderID: try row.decode("order_id"), rewardType: try row.decode("reward_type"), reasonCode: try row.decode("reason_code"),
                reason: try row.decode("reason"), attempts: try row.decode("attempts"), replayCount: try row.decode("replay_count"),
                state: try row.decode("state"), firstFailedAt: try row.decode("first_failed_at"), lastFailedAt: try row.decode("last_failed_at"),
                lastReplayedAt: try row.decode("last_replayed_at"), lastReplayOutcome: try row.decode("last_replay_outcome"),
                payload: try row.decode("payload"))
        }
    }

    /// Records one replay: counted whatever its outcome; `replayed` once settled.
    func recordReplay(id: Int64, settled: Bool, outcome: String) async throws {
        try await pool.execute("""
            UPDATE dead_letters SET replay_count = replay_count + 1, last_replayed_at = \(Date()),
                last_replay_outcome = \(String(outcome.prefix(255))), state = IF(\(settled), 'replayed', state)
            WHERE dead_letter_id = \(id)
            """)
    }
}
