import Foundation
import MariaDB
import RewardConsumer
import RewardCore
import RewardSettlement
import RewardTestKit
import RewardWallet
import Testing

@Suite("Withdrawals and consumers settle the same orders: each credited once")
struct ConsumerRaceTests {
    @Test("A consumer and a withdrawal settle the same 1,000 order ids at once")
    func consumerAgainstWithdrawal() async throws {
        let harness = try LaneHarness()
        try await SettlementFixture.with("wd_race", maxConnections: 16) { fixture in
            let wallet = WalletHarness(fixture)
            let grants = (0..<1_000).map { WalletHarness.freshGrant(order: "race-\($0)", user: "dora", amount: Int64($0 % 100 + 1)) }
            let total = grants.reduce(Int64(0)) { $0 + $1.bonus.amount }
            try await wallet.recordTokens(grants)
            try await harness.produce(grants, to: .a, topic: "reward-cash")

            // Paced at 500/s so the consumer is still working through the orders when the withdrawal settles them.
            let lanes = RunningServices([
                try harness.lane(.a, .cash, fixture: fixture, rates: RateLimitConfiguration(rates: ["cash_red_envelope": 500])),
            ], logger: harness.logger)
            try await eventually(.seconds(60), "the consumer credits its first orders") {
                try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE state = 'credited'") > 0
            }
            let receipt = try await withdrawRetrying(wallet, WithdrawalRequest(userID: "dora", amount: total, currency: "CNY",
                                                                                requestID: "race-wd"))
            try await eventually(.seconds(120), interval: .milliseconds(200), "1,000 credited") {
                try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE state = 'credited'") == 1_000
            }
            try await lanes.stop()

            #expect(receipt.status == .paidOut)
            #expect(receipt.rejected.count == 0)
            #expect(receipt.balanceAfter == 0)
            #expect(try await fixture.count("""
                SELECT COUNT(DISTINCT transfer_id) FROM wallet_entries WHERE account = 'dora' AND transfer_id LIKE 'credit:%'
                """) == 1_000)
            #expect(try await fixture.count("SELECT COUNT(*) FROM wallet_entries WHERE account = 'dora'") == 1_001)
            #expect(try await wallet.balance("dora") == 0)
            #expect(try await fixture.count("SELECT COUNT(*) FROM wallet_accounts WHERE balance < 0") == 0)
            #expect(try await wallet.booksBalance())
        }
    }

    @Test("Withdrawal while consumers are stopped and 50,000 events wait; resumed consumers credit nothing twice")
    func withdrawalAheadOfBacklog() async throws {
        let harness = try LaneHarness()
        try await SettlementFixture.with("wd_backlog", maxConnections: 16) { fixture in
            let wallet = WalletHarness(fixture)
            let mine = (0..<100).map { WalletHarness.freshGrant(order: "erin-\($0)", user: "erin", amount: Int64(50 + $0)) }
            let others = (0..<49_900).map {
                WalletHarness.freshGrant(order: "other-\($0)", user: "u\($0 % 5_000)", amount: Int64($0 % 300 + 1))
            }
            // Erin's rewards sit in the middle of the backlog.
            var backlog = others
            backlog.insert(contentsOf: mine, at: 20_000)
            try await harness.produce(backlog, to: .a, topic: "reward-cash")
            try await wallet.recordTokens(mine)

            let total = mine.reduce(Int64(0)) { $0 + $1.bonus.amount }
            let receipt = try await withdrawRetrying(wallet, WithdrawalRequest(userID: "erin", amount: total, currency: "CNY",
                                                                                requestID: "erin-wd"))
            #expect(receipt.status == .paidOut)
            #expect(receipt.settled.count == 100)
            #expect(receipt.settled.allSatisfy { $0.outcome == "credited" })
            #expect(try await fixture.count("SELECT COUNT(*) FROM order_claims") == 100, "only erin's orders settle before consumers run")

            let lanes = RunningServices([try harness.lane(.a, .cash, fixture: fixture)], logger: harness.logger)
            try await eventually(.seconds(180), interval: .milliseconds(500), "50,000 credited") {
                try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE state = 'credited'") == 50_000
            }
            try await lanes.stop()

            #expect(try await fixture.count("""
                SELECT COUNT(*) FROM wallet_entries WHERE account <> '~issuance' AND transfer_id LIKE 'credit:%'
                """) == 50_000)
            #expect(try await fixture.count("SELECT COUNT(*) FROM wallet_entries WHERE account = 'erin'") == 101)
            #expect(try await wallet.balance("erin") == 0)
            var expected: [SettlementFixture.AccountKey: Int64] = [:]
            for grant in others { expected[SettlementFixture.AccountKey(userID: grant.user.id, currency: "CNY"), default: 0] += grant.bonus.amount }
            let balances = try await fixture.balances().filter { $0.key.userID != "erin" }
            let wrong = expected.filter { balances[$0.key] != $0.value }.count
            #expect(balances.count == expected.count)
            #expect(wrong == 0, "accounts whose balance differs from their grants")
            #expect(try await wallet.booksBalance())
        }
    }
}

/// Withdraws, retrying with the same request id while pending rewards could not settle yet.
func withdrawRetrying(_ wallet: WalletHarness, _ request: WithdrawalRequest) async throws -> WithdrawalReceipt {
    for _ in 0..<20 {
        switch await attempt(wallet, request) {
        case .success(let receipt):
            return receipt
        case .failure(let error) where error.code == .settlementIncomplete:
            try await Task.sleep(for: .milliseconds(100))
        case .failure(let error):
            throw error
        }
    }
    return try await wallet.service.withdraw(request)
}

private func attempt(_ wallet: WalletHarness, _ request: WithdrawalRequest) async -> Result<WithdrawalReceipt, WalletError> {
    do {
        return .success(try await wallet.service.withdraw(request))
    } catch {
        return .failure(error)
    }
}
