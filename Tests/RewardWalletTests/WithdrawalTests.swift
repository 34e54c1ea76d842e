import Foundation
import MariaDB
import RewardCore
import RewardSettlement
import RewardTestKit
import RewardWallet
import Testing

@Suite("Withdrawals settle pending rewards first and move money once")
struct WithdrawalTests {
    @Test("Pending tokens are force-settled, then debited and paid out; a retry answers the same")
    func forceSettleThenDebit() async throws {
        try await SettlementFixture.with("wd_basic") { fixture in
            let wallet = WalletHarness(fixture)
            let grants = (0..<20).map { WalletHarness.freshGrant(order: "basic-\($0)", user: "alice", amount: 100) }
            try await wallet.recordTokens(grants)
            let request = WithdrawalRequest(userID: "alice", amount: 1_500, currency: "CNY", requestID: "wd-1")
            let receipt = try await wallet.service.withdraw(request)
            #expect(receipt.status == .paidOut)
            #expect(receipt.settled.count == 20)
            #expect(receipt.rejected.count == 0)
            #expect(receipt.balanceAfter == 500)
            #expect(try await wallet.balance("alice") == 500)

            let retry = try await wallet.service.withdraw(request)
            #expect(retry.replayed)
            #expect(retry.status == .paidOut)
            #expect(retry.balanceAfter == 500)
            #expect(try await wallet.balance("alice") == 500, "a retry must not debit again")
            #expect(try await fixture.count("SELECT COUNT(*) FROM payouts") == 1)

            await #expect(throws: WalletError(.requestIDReused, "this request id was used for another withdrawal")) {
                _ = try await wallet.service.withdraw(
                    WithdrawalRequest(userID: "alice", amount: 1, currency: "CNY", requestID: "wd-1"))
            }
            #expect(try await wallet.booksBalance())
        }
    }

    @Test("Two concurrent withdrawals of the whole balance: one paid out, one refused, no overdraft")
    func concurrentWholeBalance() async throws {
        try await SettlementFixture.with("wd_concurrent") { fixture in
            let wallet = WalletHarness(fixture)
            let grants = (0..<10).map { WalletHarness.freshGrant(order: "whole-\($0)", user: "bob", amount: 1_000) }
            #expect(await wallet.settle(grants).allSatisfy(\.isSettled))
            for round in 0..<5 {
                let before = try await wallet.balance("bob")
                async let first = wallet.service.withdraw(
                    WithdrawalRequest(userID: "bob", amount: before, currency: "CNY", requestID: "whole-a-\(round)"))
                async let second = wallet.service.withdraw(
                    WithdrawalRequest(userID: "bob", amount: before, currency: "CNY", requestID: "whole-b-\(round)"))
                let statuses = try await [first.status, second.status]
                #expect(statuses.filter { $0 == .paidOut }.count == 1, "round \(round)")
                #expect(statuses.filter { $0 == .refused }.count == 1, "round \(round)")
                #expect(try await wallet.balance("bob") == 0)
                // Refill for the next round.
                let refill = WalletHarness.freshGrant(order: "refill-\(round)", user: "bob", amount: 3_000)
                #expect(await wallet.settle([refill]).allSatisfy(\.isSettled))
            }
            #expect(try await fixture.count("SELECT COUNT(*) FROM payouts") == 5)
            #expect(try await wallet.booksBalance())
        }
    }

    @Test("1,000 bad tokens of every forged kind (v1 without a stored activity too): zero credits, each refused with its reason and counted")
    func badTokens() async throws {
        try await SettlementFixture.with("wd_bad") { fixture in
            let wallet = WalletHarness(fixture)
            let bad = BadTokens.make(user: "mallory", count: 1_000)
            var reasons: [String: Int] = [:]
            for (chunk, start) in stride(from: 0, to: bad.count, by: 200).enumerated() {
                let slice = Array(bad[start..<min(start + 200, bad.count)])
                let receipt = try await wallet.service.withdraw(WithdrawalRequest(
                    userID: "mallory", amount: 1, currency: "CNY", requestID: "bad-\(chunk)", presentedTokens: slice.map(\.token)))
                #expect(receipt.status == .refused)
                #expect(receipt.settled.count == 0)
                #expect(receipt.rejected.count == slice.count)
                for rejection in receipt.rejected {
                    guard let index = rejection.index, slice.indices.contains(index) else {
                        Issue.record("rejection without a valid index")
                        continue
                    }
                    #expect(rejection.reason == slice[index].expectedReason, "\(slice[index].kind) at \(start + index)")
                    reasons[rejection.reason, default: 0] += 1
                }
            }
            #expect(reasons.values.reduce(0, +) == 1_000)
            #expect(Set(reasons.keys) == Set(BadTokens.Kind.allCases.map(\.expectedReason.rawValue)))
            #expect(try await fixture.count("SELECT COUNT(*) FROM order_claims") == 0)
            #expect(try await fixture.count("SELECT COUNT(*) FROM wallet_entries") == 0)
            #expect(try await fixture.count("SELECT COUNT(*) FROM payouts") == 0)
            var counted = 0.0
            for reason in reasons.keys {
                counted += Double(try wallet.metrics.expectCounter("reward_withdrawal_token_rejections_total", [("reason", reason)]).totalValue)
            }
            #expect(counted == 1_000)
        }
    }

    @Test("A budget cap cannot be stepped around by naming another activity: v2 binds it, v1 takes only our stored one")
    func activityCannotBeRenamed() async throws {
        try await SettlementFixture.with("wd_activity") { fixture in
            let wallet = WalletHarness(fixture)
            try await fixture.pool.execute("""
                INSERT INTO budgets (activity_id, reward_type, cap, issued, held, warn_percent, updated_at)
                VALUES ('capped', 'cash_red_envelope', 100, 0, 0, 80, UTC_TIMESTAMP(6))
                """)
            func renamed(_ grant: BonusEvent) -> PresentedToken {
                var token = PresentedToken(grant)
                token.activityID = "uncapped"
                return token
            }
            let v2 = WalletHarness.freshGrant(order: "act-v2", user: "mallory", amount: 80, activity: "capped")
            let v1 = WalletHarness.freshGrant(order: "act-v1", user: "mallory", amount: 80, activity: "capped", version: .v1)
            let v1Stored = WalletHarness.freshGrant(order: "act-v1-stored", user: "mallory", amount: 80, activity: "capped", version: .v1)
            try await wallet.recordTokens([v1Stored])
            let receipt = try await wallet.service.withdraw(WithdrawalRequest(
                userID: "mallory", amount: 1, currency: "CNY", requestID: "act-1",
                presentedTokens: [renamed(v2), renamed(v1), renamed(v1Stored)]))
            let reasons = Dictionary(uniqueKeysWithValues: receipt.rejected.map { ($0.orderID, $0.reason) })
            #expect(reasons["act-v2"] == "token_signature_mismatch")
            #expect(reasons["act-v1"] == "token_activity_unbound")
            // The stored v1 token settles, under the activity we recorded, so the cap counts it.
            #expect(receipt.settled.map(\.orderID) == ["act-v1-stored"])
            #expect(try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE activity_id = 'uncapped'") == 0)
            #expect(try await fixture.count("SELECT issued FROM budgets WHERE activity_id = 'capped'") == 80)
            #expect(try await wallet.balance("mallory") == 79, "80 credited under the cap, 1 withdrawn")
        }
    }

    @Test("Invalid requests get their own codes; attempts are limited per user")
    func invalidAndLimited() async throws {
        try await SettlementFixture.with("wd_invalid") { fixture in
            let wallet = WalletHarness(fixture) { $0.attemptsPerUser = 3 }
            let cases: [(WithdrawalRequest, WalletError.Code)] = [
                (WithdrawalRequest(userID: "", amount: 1, currency: "CNY", requestID: "r"), .invalidUserID),
                (WithdrawalRequest(userID: "u", amount: 0, currency: "CNY", requestID: "r"), .invalidAmount),
                (WithdrawalRequest(userID: "u", amount: 1, currency: "XXX", requestID: "r"), .invalidCurrency),
                (WithdrawalRequest(userID: "u", amount: 1, currency: "CNY", requestID: "bad id"), .invalidRequestID),
            ]
            for (request, code) in cases {
                do {
                    _ = try await wallet.service.withdraw(request)
                    Issue.record("\(code) expected")
                } catch let error as WalletError {
                    #expect(error.code == code)
                }
            }
            var limited = 0
            for attempt in 0..<5 {
                do {
                    _ = try await wallet.service.withdraw(
                        WithdrawalRequest(userID: "carol", amount: 1, currency: "CNY", requestID: "lim-\(attempt)"))
                } catch let error as WalletError where error.code == .tooManyWithdrawals {
                    limited += 1
                }
            }
            #expect(limited == 2)
        }
    }
}
