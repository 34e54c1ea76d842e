import Foundation
import MariaDB
import RewardCore
@testable import RewardSettlement
import RewardTestKit
import Testing

/// A COMMIT whose answer is lost is re-checked by order id before anything else, never blindly retried.
@Suite("Commit outcome unknown")
struct CommitOutcomeUnknownTests {
    static let events = (0..<30).map { makeEvent(order: "cou-\($0)", user: "u\($0 % 3)", amount: Int64(10 + $0)) }
    static var expected: [SettlementFixture.AccountKey: Int64] {
        events.reduce(into: [:]) { $0[.init(userID: $1.user.id, currency: "CNY"), default: 0] += $1.bonus.amount }
    }

    /// Hooks that kill the transaction's own connection right before its first COMMIT at `step`.
    static func killBeforeCommit(at step: SettlementStep, killer: MariaDBPool, fired: TestBox<Int>) -> TransactionHooks {
        var hooks = TransactionHooks()
        hooks.beforeCommit = { current, connectionID in
            guard current == step, fired.withLock({ count in defer { count += 1 }; return count == 0 }) else { return }
            do {
                try await killer.withConnection { try await TestMariaDB.kill(connectionID, from: $0) }
            } catch {
                Issue.record("could not kill connection \(connectionID): \(error)")
            }
        }
        return hooks
    }

    /// Hooks that report the first COMMIT at `step` as lost although it succeeded.
    static func loseAnswerAfterCommit(at step: SettlementStep, fired: TestBox<Int>) -> TransactionHooks {
        var hooks = TransactionHooks()
        hooks.afterCommit = { current in
            guard current == step, fired.withLock({ count in defer { count += 1 }; return count == 0 }) else { return }
            throw MariaDBError(.commitOutcomeUnknown, message: "injected: the answer to COMMIT was lost")
        }
        return hooks
    }

    @Test("Connection killed before the wallet COMMIT: re-check finds nothing, the credit is made once",
          arguments: [SettlementStep.claim, .ledger])
    func killedBeforeCommit(step: SettlementStep) async throws {
        try await SettlementFixture.with("kill\(step.rawValue)") { fixture async throws in
            let killer = MariaDBPool(configuration: fixture.database.configuration, logger: TestMariaDB.quietLogger)
            let fired = TestBox(0)
            let hooks = Self.killBeforeCommit(at: step, killer: killer, fired: fired)
            let engine = step == .ledger
                ? fixture.engine(ledgerHooks: hooks) : fixture.engine { $0.hooks = hooks }
            let outcomes = await engine.settle(Self.events.map { SettlementRequest(testEvent: $0, source: consumerSource()) })
            await killer.shutdown()
            #expect(fired.value >= 1, "the fault was injected")
            #expect(fixture.metrics.counterTotal(
                label: "reward_settlement_commit_rechecks_total", dimensions: [("step", step.rawValue), ("found", "absent")]) == 1)
            #expect(outcomes.allSatisfy { $0.isCredited }, "\(tally(outcomes))")
            #expect(try await fixture.balances() == Self.expected)
            #expect(try await fixture.entrySums() == Self.expected)
            #expect(try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE state = 'credited'") == Self.events.count)
        }
    }

    @Test("The wallet COMMIT succeeded but its answer was lost: re-check finds the legs and does not run it again")
    func lostAnswerAfterWalletCommit() async throws {
        try await SettlementFixture.with("lostledger") { fixture async throws in
            let fired = TestBox(0)
            let engine = fixture.engine(ledgerHooks: Self.loseAnswerAfterCommit(at: .ledger, fired: fired))
            let outcomes = await engine.settle(Self.events.map { SettlementRequest(testEvent: $0, source: consumerSource()) })
            #expect(fired.value >= 1)
            // A blind retry would have found the legs and answered "already credited".
            #expect(outcomes.allSatisfy { $0.isCredited }, "\(tally(outcomes))")
            #expect(fixture.metrics.counterTotal(
                label: "reward_settlement_commit_rechecks_total", dimensions: [("step", "ledger"), ("found", "committed")]) == 1)
            #expect(try await fixture.balances() == Self.expected)
            #expect(try await fixture.count("SELECT COUNT(*) FROM wallet_entries") == 2 * Self.events.count)
        }
    }

    @Test("The claim COMMIT succeeded but its answer was lost: re-check reads the claims, the claim runs once")
    func lostAnswerAfterClaimCommit() async throws {
        try await SettlementFixture.with("lostclaim") { fixture async throws in
            let fired = TestBox(0)
            let engine = fixture.engine { $0.hooks = Self.loseAnswerAfterCommit(at: .claim, fired: fired) }
            let outcomes = await engine.settle(Self.events.map { SettlementRequest(testEvent: $0, source: consumerSource()) })
            #expect(fired.value >= 1)
            #expect(outcomes.allSatisfy { $0.isCredited }, "\(tally(outcomes))")
            // A blind retry would have run the upsert again and counted a second attempt.
            #expect(try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE attempts <> 1") == 0)
            #expect(try await fixture.balances() == Self.expected)
        }
    }

    @Test("The budget COMMIT's answer was lost: re-check reads the reservations, budget is counted once")
    func lostAnswerAfterBudgetCommit() async throws {
        try await SettlementFixture.with("lostbudget") { fixture async throws in
            try await fixture.pool.execute("""
                INSERT INTO budgets (activity_id, reward_type, cap, updated_at) VALUES ('fest', 'cash_red_envelope', 100000, NOW(6))
                """)
            let fired = TestBox(0)
            let engine = fixture.engine { $0.hooks = Self.loseAnswerAfterCommit(at: .budget, fired: fired) }
            let outcomes = await engine.settle(Self.events.map { SettlementRequest(testEvent: $0, source: consumerSource()) })
            #expect(fired.value >= 1)
            #expect(outcomes.allSatisfy { $0.isCredited }, "\(tally(outcomes))")
            let issued = try await fixture.count("SELECT issued FROM budgets")
            #expect(Int64(issued) == Self.events.reduce(0) { $0 + $1.bonus.amount })
        }
    }
}
