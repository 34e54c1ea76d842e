import Foundation
import MariaDB
import RewardCore
import RewardSettlement
import RewardTestKit
import RewardWallet
import Testing

@Suite("The wallet page: balances, pending rewards, merged history")
struct WalletViewTests {
    @Test("Credited, pending and conflicting rewards are marked; a conflict is refused, not pending")
    func statuses() async throws {
        try await SettlementFixture.with("wv_status") { fixture in
            let wallet = WalletHarness(fixture)
            let now = Date()
            let credited = WalletHarness.freshGrant(order: "fay-1", user: "fay", amount: 300, issuedAt: now.addingTimeInterval(-30))
            let pending = WalletHarness.freshGrant(order: "fay-2", user: "fay", amount: 200, issuedAt: now.addingTimeInterval(-20))
            let stolen = WalletHarness.freshGrant(order: "fay-3", user: "fay", amount: 100, issuedAt: now.addingTimeInterval(-10))
            // The same order id was claimed for another user first: fay's token for it is never paid.
            let first = WalletHarness.freshGrant(order: "fay-3", user: "gus", amount: 100)
            #expect(await wallet.settle([credited, first]).allSatisfy(\.isSettled))
            try await wallet.recordTokens([credited, pending, stolen])

            let view = try await wallet.reader.view(user: "fay")
            #expect(view.degraded.isEmpty)
            #expect(view.balances.map(\.balance) == [300])
            #expect(view.pending.map(\.orderID) == ["fay-2"])
            #expect(view.pendingTotals == ["CNY": 200])
            #expect(view.history.map(\.orderID) == ["fay-3", "fay-2", "fay-1"])
            #expect(view.history.map(\.status) == [.refused, .pending, .credited])
            #expect(view.nextCursor == nil)
        }
    }

    @Test("History pages walk tokens and ledger rows newest first without repeats or gaps")
    func pagination() async throws {
        try await SettlementFixture.with("wv_pages") { fixture in
            let wallet = WalletHarness(fixture)
            let base = Date().addingTimeInterval(-1_000)
            let grants = (0..<25).map {
                WalletHarness.freshGrant(order: "hal-\($0)", user: "hal", amount: 10, issuedAt: base.addingTimeInterval(Double($0)))
            }
            try await wallet.recordTokens(grants)
            _ = try await wallet.service.withdraw(WithdrawalRequest(userID: "hal", amount: 50, currency: "CNY", requestID: "hal-wd"))

            var seen: [WalletHistoryItem] = []
            var cursor: String?
            var pages = 0
            repeat {
                let page = try await wallet.reader.view(user: "hal", cursor: cursor, limit: 7)
                seen += page.history
                cursor = page.nextCursor
                pages += 1
            } while cursor != nil && pages < 20
            #expect(pages == 4)
            #expect(seen.count == 26, "25 rewards and one withdrawal")
            #expect(Set(seen.compactMap(\.orderID)).count == 25)
            #expect(seen.first?.kind == .withdrawal, "the withdrawal is the newest item")
            #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.at >= $1.at }, "newest first")
            #expect(seen.filter { $0.kind == .reward }.allSatisfy { $0.status == .credited })

            await #expect(throws: WalletError.self) { _ = try await wallet.reader.view(user: "hal", cursor: "h1.bm9wZQ") }
            await #expect(throws: WalletError.self) { _ = try await wallet.reader.view(user: "hal", limit: 0) }
        }
    }

    @Test("With the tokens table unavailable the page degrades to ledger data and says so")
    func degradedWithoutTokens() async throws {
        try await SettlementFixture.with("wv_degraded") { fixture in
            let wallet = WalletHarness(fixture)
            let grants = (0..<3).map { WalletHarness.freshGrant(order: "ida-\($0)", user: "ida", amount: 40) }
            try await wallet.recordTokens(grants)
            #expect(await wallet.settle(Array(grants.prefix(2))).allSatisfy(\.isSettled))

            try await fixture.pool.executeScript("RENAME TABLE reward_tokens TO reward_tokens_offline")
            let view = try await wallet.reader.view(user: "ida")
            try await fixture.pool.executeScript("RENAME TABLE reward_tokens_offline TO reward_tokens")

            #expect(view.degraded == ["tokens"])
            #expect(view.balances.map(\.balance) == [80])
            #expect(view.pending.count == 0)
            #expect(view.history.count == 2)
            #expect(view.history.allSatisfy { $0.status == .credited && $0.token == nil })

            let restored = try await wallet.reader.view(user: "ida")
            #expect(restored.degraded.isEmpty)
            #expect(restored.pending.count == 1)
        }
    }
}
