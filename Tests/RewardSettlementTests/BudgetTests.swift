import Foundation
import MariaDB
import RewardCore
@testable import RewardSettlement
import RewardTestKit
import Testing

@Suite("Budgets")
struct BudgetTests {
    static func addBudget(_ fixture: SettlementFixture, cap: Int64, warnPercent: Int = 80) async throws {
        try await fixture.pool.execute("""
            INSERT INTO budgets (activity_id, reward_type, cap, warn_percent, updated_at)
            VALUES ('fest', 'cash_red_envelope', \(cap), \(warnPercent), NOW(6))
            """)
    }

    static func budget(_ fixture: SettlementFixture) async throws -> (issued: Int64, held: Int64) {
        let rows = try await fixture.pool.query("SELECT issued, held FROM budgets WHERE activity_id = 'fest'")
        return (try rows[0].decode("issued"), try rows[0].decode("held"))
    }

    static func credited(_ fixture: SettlementFixture) async throws -> Int64 {
        try await fixture.entrySums().values.reduce(0, +)
    }

    @Test("Grants beyond the cap are held and counted, never credited; raising the cap releases them")
    func heldBeyondCap() async throws {
        try await SettlementFixture.with("budgetcap") { fixture async throws in
            try await Self.addBudget(fixture, cap: 10_000)
            let engine = fixture.engine()
            let events = (0..<40).map { makeEvent(order: "b-\($0)", user: "u\($0 % 4)", amount: 500) }
            let outcomes = await engine.settle(events.map { SettlementRequest(testEvent: $0, source: consumerSource()) })
            #expect(outcomes.filter { $0.isCredited }.count == 20)
            #expect(outcomes.filter { $0.isHeld }.count == 20)
            #expect(try await Self.credited(fixture) == 10_000)
            #expect(try await Self.budget(fixture) == (10_000, 10_000))
            #expect(try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE state = 'claimed'") == 20, "held claims stay")

            // Redelivered while still over the cap: held again, counted once.
            let again = await engine.settle(events.map { SettlementRequest(testEvent: $0, source: .drain) })
            #expect(again.filter { $0.isHeld }.count == 20)
            #expect(again.filter { $0 == .alreadyCredited }.count == 20)
            #expect(try await Self.budget(fixture) == (10_000, 10_000))

            // A person raises the cap by 5,000: ten more fit, the rest stay held.
            try await fixture.pool.execute("UPDATE budgets SET cap = cap + 5000 WHERE activity_id = 'fest'")
            let raised = await engine.settle(events.map { SettlementRequest(testEvent: $0, source: .drain) })
            #expect(raised.filter { $0.isCredited }.count == 10)
            #expect(raised.filter { $0.isHeld }.count == 10)
            #expect(try await Self.credited(fixture) == 15_000)
            #expect(try await Self.budget(fixture) == (15_000, 5_000))
            let gauge = try fixture.metrics.expectGauge("reward_budget_used_ratio", [("activity", "fest"), ("reward_type", "cash_red_envelope")])
            #expect(gauge.lastValue == 1, "a ratio: the cap reached is 1")
        }
    }

    @Test("Under concurrency the credited total never passes the cap")
    func capUnderConcurrency() async throws {
        try await SettlementFixture.with("budgetrace", maxConnections: 16) { fixture async throws in
            let cap: Int64 = 77_777
            try await Self.addBudget(fixture, cap: cap)
            let events = (0..<2000).map { makeEvent(order: "bc-\($0)", user: "u\($0 % 50)", amount: Int64(1 + ($0 * 37) % 200)) }
            let engineA = fixture.engine()
            let engineB = fixture.engine()
            async let a = ExactlyOnceLoadTests.feed(
                events.map { SettlementRequest(testEvent: $0, source: consumerSource()) }, to: engineA, tasks: 3, batch: 100)
            async let b = ExactlyOnceLoadTests.feed(
                events.shuffled().map { SettlementRequest(testEvent: $0, source: .withdrawal(requestID: "w")) },
                to: engineB, tasks: 3, batch: 90)
            let all = try await a.outcomes + b.outcomes
            #expect(all.allSatisfy { $0.isSettled || $0.isHeld }, "\(tally(all)): \(Set(all.filter { $0.isRetriable }).prefix(3))")
            let credited = try await Self.credited(fixture)
            let (issued, held) = try await Self.budget(fixture)
            #expect(credited <= cap)
            #expect(credited == issued, "every reserved grant credited, every credit reserved")
            #expect(credited + held == events.reduce(0) { $0 + $1.bonus.amount }, "held counts each refused grant once")
            #expect(cap - credited < 200, "held only when the next grant did not fit")
            #expect(try await fixture.balances() == fixture.entrySums())
        }
    }
}
