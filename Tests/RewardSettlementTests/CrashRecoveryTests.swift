import Foundation
import MariaDB
import RewardCore
@testable import RewardSettlement
import RewardTestKit
import Testing

/// A crash between two steps, simulated by stopping the engine there, then settling again.
@Suite("Crash recovery between steps")
struct CrashRecoveryTests {
    static let events = (0..<50).map { makeEvent(order: "crash-\($0)", user: "u\($0 % 7)", amount: Int64(100 + $0)) }
    static var expected: [SettlementFixture.AccountKey: Int64] {
        events.reduce(into: [:]) { $0[.init(userID: $1.user.id, currency: "CNY"), default: 0] += $1.bonus.amount }
    }

    @Test("Stopped after the claim: the next attempt credits each order once", arguments: [SettlementStep.claim, .budget])
    func stoppedBeforeTheLedger(step: SettlementStep) async throws {
        try await SettlementFixture.with("crash\(step.rawValue)") { fixture async throws in
            // A budget row, so the budget step really writes before the stop.
            try await fixture.pool.execute("""
                INSERT INTO budgets (activity_id, reward_type, cap, updated_at) VALUES ('fest', 'cash_red_envelope', 1000000, NOW(6))
                """)
            let crashing = fixture.engine { $0.faults.haltAfter = [step] }
            let first = await crashing.settle(Self.events.map { SettlementRequest(testEvent: $0, source: consumerSource()) })
            #expect(first.allSatisfy { $0.isRetriable })
            #expect(try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE state = 'claimed'") == 50)
            #expect(try await fixture.count("SELECT COUNT(*) FROM wallet_entries") == 0)

            let second = await fixture.engine().settle(Self.events.map { SettlementRequest(testEvent: $0, source: consumerSource()) })
            #expect(second.allSatisfy { $0.isCredited }, "\(tally(second))")
            #expect(try await fixture.balances() == Self.expected)
            #expect(try await fixture.entrySums() == Self.expected)
            #expect(try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE state = 'credited'") == 50)
            let issued = try await fixture.count("SELECT issued FROM budgets")
            #expect(Int64(issued) == Self.events.reduce(0) { $0 + $1.bonus.amount }, "budget reserved once per order")
        }
    }

    @Test("Stopped after the ledger credit, before the confirm: the redelivery is absorbed by the ledger")
    func stoppedBeforeConfirm() async throws {
        try await SettlementFixture.with("crashledger") { fixture async throws in
            let crashing = fixture.engine { $0.faults.haltAfter = [.ledger] }
            let first = await crashing.settle(Self.events.map { SettlementRequest(testEvent: $0, source: consumerSource()) })
            #expect(first.allSatisfy { $0.isRetriable })
            #expect(try await fixture.balances() == Self.expected, "the ledger did credit")
            #expect(try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE state = 'claimed'") == 50)

            // Redelivered, through another path even: the ledger answers already credited, the claim is confirmed.
            let second = await fixture.engine().settle(Self.events.map { SettlementRequest(testEvent: $0, source: .drain) })
            #expect(second.allSatisfy { $0 == .alreadyCredited }, "\(tally(second))")
            #expect(try await fixture.balances() == Self.expected)
            #expect(try await fixture.entrySums() == Self.expected)
            #expect(try await fixture.unbalancedTransfers() == 0)
            #expect(try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE state = 'credited'") == 50)
            #expect(try await fixture.count(
                "SELECT COUNT(*) FROM order_claims WHERE ledger_reference = CONCAT('credit:', order_id)") == 50)

            let third = await fixture.engine().settle(Self.events.map { SettlementRequest(testEvent: $0, source: .replay) })
            #expect(third.allSatisfy { $0 == .alreadyCredited })
            #expect(try await fixture.balances() == Self.expected)
        }
    }
}
