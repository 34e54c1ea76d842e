import Foundation
import MariaDB
import RewardCore
@testable import RewardSettlement
import RewardTestKit
import Testing

@Suite("Concurrent settlers")
struct ConcurrencyTests {
    @Test("Two settlers race on the same 1,000 order ids: each credited once, balances equal their entries")
    func raceOnSameOrders() async throws {
        try await SettlementFixture.with("race", maxConnections: 16) { fixture async throws in
            let events = (0..<1000).map { makeEvent(order: "race-\($0)", user: "u\($0 % 40)", amount: Int64(1 + $0 % 300)) }
            let consumer = fixture.engine()
            let withdrawal = fixture.engine()
            // Different batch sizes and orders, so the two settlers interleave differently.
            async let a = ExactlyOnceLoadTests.feed(
                events.map { SettlementRequest(testEvent: $0, source: consumerSource()) }, to: consumer, tasks: 2, batch: 100)
            async let b = ExactlyOnceLoadTests.feed(
                events.reversed().map { SettlementRequest(testEvent: $0, source: .withdrawal(requestID: "w-1")) },
                to: withdrawal, tasks: 2, batch: 70)
            let (first, second) = try await (a, b)
            let secondByOrder = Array(second.outcomes.reversed())
            for index in events.indices {
                let pair = [first.outcomes[index], secondByOrder[index]]
                // Exactly one "credited", unless a retried request found its own earlier credit.
                let credited = pair.filter { $0.isCredited }.count
                #expect(credited == 1 || (credited == 0 && first.retried + second.retried > 0), "order \(index): \(pair)")
                #expect(pair.allSatisfy { $0.isSettled }, "order \(index): \(pair)")
            }
            #expect(first.retried + second.retried < 50, "races should rarely exhaust the retries")
            let expected = events.reduce(into: [SettlementFixture.AccountKey: Int64]()) {
                $0[.init(userID: $1.user.id, currency: "CNY"), default: 0] += $1.bonus.amount
            }
            #expect(try await fixture.balances() == expected)
            #expect(try await fixture.entrySums() == expected)
            #expect(try await fixture.unbalancedTransfers() == 0)
            #expect(try await fixture.count("SELECT COUNT(*) FROM wallet_entries") == 2000)
            #expect(try await fixture.count("SELECT COUNT(*) FROM wallet_accounts WHERE balance < 0") == 0)
            #expect(try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE state = 'credited'") == 1000)
        }
    }

    @Test("Racing wallet ledgers on one transfer: the unique key decides, the loser reads the winner's legs")
    func walletLedgerRace() async throws {
        try await SettlementFixture.with("walletrace", maxConnections: 16) { fixture async throws in
            let credits = (0..<200).map {
                LedgerCredit(orderID: OrderID("wr-\($0)"), userID: "u\($0 % 5)", activityID: "fest", rewardType: "coin_lucky",
                             amount: 10, unit: "COIN", grantedAt: Date())
            }
            let ledgers = (0..<4).map { _ in
                WalletLedger(shards: fixture.stores.wallet, maxBatchSize: 50, logger: fixture.logger, metrics: fixture.metrics)
            }
            let results = await withTaskGroup(of: [LedgerResult].self) { group in
                for ledger in ledgers { group.addTask { await Self.creditUntilAnswered(ledger, credits.shuffled()) } }
                var all: [LedgerResult] = []
                for await results in group { all += results }
                return all
            }
            let credited = results.filter { if case .credited = $0 { true } else { false } }.count
            let already = results.filter { if case .alreadyCredited = $0 { true } else { false } }.count
            #expect(credited == 200, "each transfer credited by exactly one ledger call")
            #expect(already == 600)
            #expect(try await fixture.entrySums() == (0..<5).reduce(into: [:]) { $0[.init(userID: "u\($1)", currency: "COIN")] = 400 })
            #expect(try await fixture.balances() == fixture.entrySums())
        }
    }

    /// Credits like a consumer: retriable answers (a race lost too often) are tried again.
    static func creditUntilAnswered(_ ledger: WalletLedger, _ credits: [LedgerCredit]) async -> [LedgerResult] {
        var results = await ledger.credit(credits)
        for _ in 0..<10 {
            let retry = results.indices.filter { if case .retriable = results[$0] { true } else { false } }
            guard !retry.isEmpty else { break }
            let again = await ledger.credit(retry.map { credits[$0] })
            for (index, result) in zip(retry, again) { results[index] = result }
        }
        return results
    }
}
