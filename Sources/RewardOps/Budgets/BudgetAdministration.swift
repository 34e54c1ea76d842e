import Foundation
public import MariaDB

/// One budget with what it has issued and what waits for it.
public struct BudgetStatus: Sendable, Codable, Hashable {
    public var activityID: String
    public var rewardType: String
    public var cap: Int64
    public var issued: Int64
    /// Amount refused for the cap and waiting (in `dead_letters` as `held_for_budget`).
    public var held: Int64
    public var heldOrders: Int
    public var warnPercent: Int64

    public var percentUsed: Double { cap > 0 ? Double(issued) * 100 / Double(cap) : 100 }
    /// At or past the warning line.
    public var isWarning: Bool { percentUsed >= Double(warnPercent) }
}

/// Reads and sets `budgets` rows. The settlement engine enforces them (BudgetStore).
public struct BudgetAdministration: Sendable {
    public struct Refusal: Error, CustomStringConvertible {
        public var description: String
    }

    let pool: MariaDBPool

    public init(pool: MariaDBPool) { self.pool = pool }

    public func show(activityID: String? = nil) async throws -> [BudgetStatus] {
        var query: SQLQuery = """
            SELECT b.activity_id, b.reward_type, b.cap, b.issued, b.held, b.warn_percent,
                (SELECT COUNT(*) FROM budget_reservations r WHERE r.activity_id = b.activity_id AND r.reward_type = b.reward_type
                    AND r.state = 'held') AS held_orders
            FROM budgets b
            """
        if let activityID { query.append(" WHERE b.activity_id = \(activityID)") }
        query.append(sql: " ORDER BY b.activity_id, b.reward_type")
        return try await pool.query(query).map { row in
            BudgetStatus(activityID: try row.decode("activity_id"), rewardType: try row.decode("reward_type"), cap: try row.decode("cap"),
                         issued: try row.decode("issued"), held: try row.decode("held"), heldOrders: try row.decode("held_orders"),
                         warnPercent: try row.decode("warn_percent"))
        }
    }

    /// Creates or changes a cap. Lowering it below what was already issued is refused: money
    /// already paid is not taken back by a cap.
    /// - Throws: ``Refusal`` naming the issued amount.
    public func set(activityID: String, rewardType: String, cap: Int64, warnPercent: Int64?) async throws -> BudgetStatus {
        guard cap >= 0 else { throw Refusal(description: "a cap must not be negative") }
        try await pool.withTransaction { connection in
            let rows = try await connection.query("""
                SELECT issued FROM budgets WHERE activity_id = \(activityID) AND reward_type = \(rewardType) FOR UPDATE
                """)
            if let issued = try rows.first?.decode("issued", as: Int64.self), cap < issued {
                throw Refusal(description: "\(activityID)/\(rewardType) has issued \(issued) already; the cap cannot go below it")
            }
            try await connection.execute("""
                INSERT INTO budgets (activity_id, reward_type, cap, issued, held, warn_percent, updated_at)
                VALUES (\(activityID), \(rewardType), \(cap), 0, 0, \(warnPercent ?? 80), \(Date()))
                ON DUPLICATE KEY UPDATE cap = VALUES(cap), warn_percent = COALESCE(\(warnPercent), warn_percent),
                    updated_at = VALUES(updated_at)
                """)
        }
        guard let status = try await show(activityID: activityID).first(where: { $0.rewardType == rewardType }) else {
            throw Refusal(description: "\(activityID)/\(rewardType) was not found after setting it")
        }
        return status
    }
}
