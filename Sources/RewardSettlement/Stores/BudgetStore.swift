import Foundation
import MariaDB

/// An order that needs budget before its ledger is called.
struct BudgetRequest: Sendable {
    var orderID: String
    var activityID: String
    var rewardType: String
    var amount: Int64
}

/// What the budget step decided for one order.
enum BudgetDecision: Sendable, Hashable {
    /// No budget row for its activity and reward type: no cap.
    case unbudgeted
    /// Counted in `budgets.issued` (now or by an earlier attempt): go on to the ledger.
    case reserved
    /// Over the cap: counted in `budgets.held`, not credited.
    case held
}

/// One budget row after a reservation batch, for the warning and the gauge.
struct BudgetLevel: Sendable, Hashable {
    var activityID: String
    var rewardType: String
    var cap: Int64
    var issuedBefore: Int64
    var issued: Int64
    var held: Int64
    var warnPercent: Int64

    /// Whether this batch moved `issued` across the warning line.
    var crossedWarning: Bool {
        percentUsed(issued) >= Double(warnPercent) && percentUsed(issuedBefore) < Double(warnPercent)
    }

    /// `issued` as a percentage of the cap (for a gauge, not money).
    var percentUsed: Double { percentUsed(issued) }

    private func percentUsed(_ value: Int64) -> Double {
        cap > 0 ? Double(value) * 100 / Double(cap) : 100
    }
}

/// The SQL of `budgets` and `budget_reservations` (both sharded by activity id).
///
/// A reservation is idempotent by order id: its row in `budget_reservations` is written in the
/// same transaction as the `budgets` counters it moves, so a redelivered order never counts twice,
/// and `issued` never passes `cap` (the update is guarded and the table has a `CHECK`).
struct BudgetStore: Sendable {
    let runner: TransactionRunner

    /// Reserves budget for the requests of one budget shard, in input order: each fits or is held.
    func reserve(_ requests: [BudgetRequest], on pool: MariaDBPool, now: Date) async throws
        -> (decisions: [String: BudgetDecision], levels: [BudgetLevel])
    {
        struct Pair: Hashable, Comparable {
            var activityID: String
            var rewardType: String
            static func < (a: Pair, b: Pair) -> Bool { (a.activityID, a.rewardType) < (b.activityID, b.rewardType) }
        }
        let pairs = Set(requests.map { Pair(activityID: $0.activityID, rewardType: $0.rewardType) }).sorted()
        func budgetQuery(locking: Bool) -> SQLQuery {
            var query: SQLQuery = """
                SELECT activity_id, reward_type, cap, issued, held, warn_percent FROM budgets FORCE INDEX (PRIMARY)
                WHERE (activity_id, reward_type) IN (
                """
            for (index, pair) in pairs.enumerated() {
                query.append("\(unescaped: index == 0 ? "" : ", ")(\(pair.activityID), \(pair.rewardType))")
            }
            query.append(sql: locking ? ") FOR UPDATE" : ")")
            return query
        }
        // Most rewards have no budget: a plain read decides that without a transaction.
        let exists = try await pool.query(budgetQuery(locking: false))
        guard !exists.isEmpty else {
            return (Dictionary(requests.map { ($0.orderID, .unbudgeted) }, uniquingKeysWith: { a, _ in a }), [])
        }

        return try await runner.run(.budget, on: pool) { connection in
            var budgets: [Pair: BudgetLevel] = [:]
            for row in try await connection.query(budgetQuery(locking: true)) {
                let pair = Pair(activityID: try row.decode("activity_id"), rewardType: try row.decode("reward_type"))
                let issued: Int64 = try row.decode("issued")
                budgets[pair] = BudgetLevel(
                    activityID: pair.activityID, rewardType: pair.rewardType, cap: try row.decode("cap"),
                    issuedBefore: issued, issued: issued, held: try row.decode("held"),
                    warnPercent: try row.decode("warn_percent"))
            }
            let budgeted = requests.filter { budgets[Pair(activityID: $0.activityID, rewardType: $0.rewardType)] != nil }
            var existing: [String: BudgetDecision] = [:]
            if !budgeted.isEmpty {
                var select: SQLQuery = "SELECT order_id, state FROM budget_reservations FORCE INDEX (PRIMARY) WHERE order_id IN "
                select.appendList(budgeted.map(\.orderID).sorted())
                select.append(sql: " FOR UPDATE")
                for row in try await connection.query(select) {
                    existing[try row.decode("order_id")] = try row.decode("state", as: String.self) == "held" ? .held : .reserved
                }
            }

            var decisions: [String: BudgetDecision] = [:]
            var writes: [(request: BudgetRequest, state: String)] = []
            var deltas: [Pair: (issued: Int64, held: Int64)] = [:]
            for request in requests {
                guard decisions[request.orderID] == nil else { continue }
                let pair = Pair(activityID: request.activityID, rewardType: request.rewardType)
                guard var level = budgets[pair] else {
                    decisions[request.orderID] = .unbudgeted
                    continue
                }
                let previous = existing[request.orderID]
                if previous == .reserved {
                    decisions[request.orderID] = .reserved
                    continue
                }
                var delta = deltas[pair] ?? (0, 0)
                let (after, overflow) = level.issued.addingReportingOverflow(request.amount)
                if !overflow && after <= level.cap {
                    level.issued = after
                    delta.issued += request.amount
                    if previous == .held {  // a person raised the cap: held moves to issued
                        level.held -= request.amount
                        delta.held -= request.amount
                    }
                    decisions[request.orderID] = .reserved
                    writes.append((request, "reserved"))
                } else {
                    if previous == nil {  // held once, however often it comes back
                        level.held += request.amount
                        delta.held += request.amount
                        writes.append((request, "held"))
                    }
                    decisions[request.orderID] = .held
                }
                budgets[pair] = level
                deltas[pair] = delta
            }
            guard !writes.isEmpty else { return (decisions, []) }

            for (pair, delta) in deltas.sorted(by: { $0.key < $1.key }) where delta.issued != 0 || delta.held != 0 {
                let result = try await connection.execute("""
                    UPDATE budgets SET issued = issued + \(delta.issued), held = held + \(delta.held), updated_at = \(now)
                    WHERE activity_id = \(pair.activityID) AND reward_type = \(pair.rewardType) AND issued + \(delta.issued) <= cap
                    """)
                guard result.affectedRows == 1 else {
                    // Cannot happen while we hold the row lock; never write past the cap if it does.
                    throw MariaDBError(.checkViolation, message: "budget row changed under its lock; batch rolled back")
                }
            }
            var insert: SQLQuery = """
                INSERT INTO budget_reservations (order_id, activity_id, reward_type, amount, state, created_at, updated_at) VALUES
                """
            for (index, write) in writes.enumerated() {
                insert.append(sql: index == 0 ? " " : ", ")
                insert.append("""
                    (\(write.request.orderID), \(write.request.activityID), \(write.request.rewardType), \
                    \(write.request.amount), \(write.state), \(now), \(now))
                    """)
            }
            insert.append(sql: " ON DUPLICATE KEY UPDATE state = VALUES(state), updated_at = VALUES(updated_at)")
            try await connection.execute(insert)
            return (decisions, Array(budgets.values))
        } recheck: {
            // Committed if every budgeted order has its reservation row.
            var select: SQLQuery = "SELECT order_id, state FROM budget_reservations FORCE INDEX (PRIMARY) WHERE order_id IN "
            select.appendList(requests.map(\.orderID).sorted())
            let rows = try await pool.query(select)
            var decisions: [String: BudgetDecision] = [:]
            for row in rows {
                decisions[try row.decode("order_id")] = try row.decode("state", as: String.self) == "held" ? .held : .reserved
            }
            let budgetedPairs = Set(try await pool.query(budgetQuery(locking: false)).map {
                Pair(activityID: try $0.decode("activity_id"), rewardType: try $0.decode("reward_type"))
            })
            for request in requests where decisions[request.orderID] == nil {
                guard !budgetedPairs.contains(Pair(activityID: request.activityID, rewardType: request.rewardType)) else {
                    return nil
                }
                decisions[request.orderID] = .unbudgeted
            }
            return (decisions, [])
        }
    }
}
