import Foundation
import Logging
import MariaDB
import RewardCore
import RewardOps
import RewardSettlement
import RewardTestKit
import Testing

@Suite("reward-admin dlq and budget")
struct DeadLetterAndBudgetTests {
    static let quiet = Logger(label: "engine") { _ in SwiftLogNoOpLogHandler() }

    @Test("grants beyond a cap are held and reported; the credited total never exceeds the cap; raising it and replaying credits each once")
    func budgetHoldsThenReplays() async throws {
        try await SettlementFixture.with("budgetdlq") { fixture in
            let engine = fixture.engine(logger: Self.quiet)
            let budgets = BudgetAdministration(pool: fixture.pool)
            _ = try await budgets.set(activityID: "capped", rewardType: "cash_red_envelope", cap: 100, warnPercent: nil)
            let grants = (0..<5).map { LaneHarness.grant(order: "b-\($0)", user: "user-\($0)", amount: 30, activity: "capped") }
            let outcomes = await engine.settle(grants.map { SettlementRequest(testEvent: $0, source: .drain) })
            #expect(outcomes.filter { $0.isSettled }.count == 3)
            #expect(outcomes.filter { $0.label == "held" }.count == 2)
            // The lane parks held grants as dead letters; do as it does.
            for (index, (grant, outcome)) in zip(grants, outcomes).enumerated() where outcome.label == "held" {
                try await Self.park(grant, reason: "held_for_budget", in: fixture.pool, offset: Int64(index))
            }
            let status = try #require(try await budgets.show(activityID: "capped").first)
            #expect(status.issued == 90 && status.held == 60 && status.heldOrders == 2)
            #expect(try await Self.credited(fixture, activity: "capped") <= status.cap)

            // Lowering the cap below what was issued is refused.
            await #expect(throws: BudgetAdministration.Refusal.self) {
                _ = try await budgets.set(activityID: "capped", rewardType: "cash_red_envelope", cap: 50, warnPercent: nil)
            }
            // Raise the cap by one grant's worth: one held grant settles, the other stays held.
            _ = try await budgets.set(activityID: "capped", rewardType: "cash_red_envelope", cap: 120, warnPercent: nil)
            let store = DeadLetterStore(pool: fixture.pool)
            var filter = DeadLetterFilter()
            filter.reasonCode = "held_for_budget"
            let replayer = DeadLetterReplayer(store: store, keyRing: TestGrants.keyRing, settler: RetryingSettler(engine: engine))
            let first = try await replayer.replay(try await store.list(filter))
            #expect(first.replayed == 2 && first.settled == 1 && first.tally.held == 1)
            #expect(try await Self.credited(fixture, activity: "capped") == 120)
            // Replaying again never credits twice: the settled one is no longer parked.
            let second = try await replayer.replay(try await store.list(filter))
            #expect(second.replayed == 1 && second.settled == 0)
            #expect(try await Self.credited(fixture, activity: "capped") == 120)
            let after = try #require(try await budgets.show(activityID: "capped").first)
            #expect(after.issued == 120 && after.held == 30 && after.heldOrders == 1)
        }
    }

    @Test("a dead letter replayed after its cause is fixed credits once; a poison one stops at its replay limit")
    func replayAndPoison() async throws {
        try await SettlementFixture.with("dlqpoison") { fixture in
            let engine = fixture.engine(logger: Self.quiet)
            // The cause: the order id was first claimed with another amount, so this copy conflicts every time.
            let original = LaneHarness.grant(order: "p-1", user: "user-p", amount: 10)
            _ = await engine.settle([SettlementRequest(testEvent: original, source: .drain)])
            let poison = LaneHarness.grant(order: "p-1", user: "user-p", amount: 999)
            try await Self.park(poison, reason: "order_id_conflict", in: fixture.pool, offset: 1)
            // A good one, parked while its ledger was down.
            let good = LaneHarness.grant(order: "g-1", user: "user-g", amount: 25)
            try await Self.park(good, reason: "retries_exhausted", in: fixture.pool, offset: 2)

            let store = DeadLetterStore(pool: fixture.pool)
            let replayer = DeadLetterReplayer(store: store, keyRing: TestGrants.keyRing, settler: RetryingSettler(engine: engine),
                                              maximumReplays: 3)
            var results: [DeadLetterReplayer.Result] = []
            for _ in 0..<5 { results.append(try await replayer.replay(try await store.list(DeadLetterFilter()))) }
            #expect(results[0].settled == 1 && results[0].tally.credited == 1 && results[0].tally.conflicts == 1)
            #expect(results.map(\.replayed) == [2, 1, 1, 0, 0])
            #expect(results.map(\.atLimit) == [0, 0, 0, 1, 1])
            var poisonFilter = DeadLetterFilter()
            poisonFilter.reasonCode = "order_id_conflict"
            let poisoned = try #require(try await store.list(poisonFilter).first)
            #expect(poisoned.replayCount == 3 && poisoned.state == "parked")
            #expect(try await fixture.count("SELECT COUNT(*) FROM wallet_entries WHERE order_id = 'g-1' AND account <> '~issuance'") == 1)
            #expect(try await fixture.count("SELECT COUNT(*) FROM wallet_entries WHERE order_id = 'p-1' AND account <> '~issuance'") == 1)
            #expect(try await fixture.count("SELECT CAST(SUM(amount) AS SIGNED) FROM wallet_entries WHERE order_id = 'p-1' AND amount > 0") == 10)
        }
    }

    static func park(_ event: BonusEvent, reason: String, in pool: MariaDBPool, offset: Int64) async throws {
        try await pool.execute("""
            INSERT INTO dead_letters (cluster, topic, topic_partition, topic_offset, order_id, reward_type, reason_code, reason, payload,
                attempts, first_failed_at, last_failed_at)
            VALUES ('A', 'reward-cash', 0, \(offset), \(event.orderID.rawValue),
                \(event.bonus.rewardType), \(reason), 'parked by the test', \(event.encoded()), 1, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            """)
    }

    static func credited(_ fixture: SettlementFixture, activity: String) async throws -> Int64 {
        let rows = try await fixture.pool.query("""
            SELECT CAST(COALESCE(SUM(amount), 0) AS SIGNED) AS total FROM wallet_entries WHERE activity_id = \(activity) AND amount > 0
            """)
        return try rows[0].decode("total")
    }
}
