import Foundation
import RewardConsumer
import RewardCore
import RewardSettlement
import RewardTestKit
import MetricsTestKit
import RewardWallet
import Testing

/// The rotation procedure of ops/runbook.md, walked with tokens of both keys in flight: add the new
/// key to every verifier, switch signing to it, retire the old key only after the lanes hold none
/// of its events and its longest token lifetime has passed.
@Suite("Token key rotation")
struct KeyRotationTests {
    static let oldKey = [UInt8](repeating: 0x31, count: 32)
    static let newKey = [UInt8](repeating: 0x32, count: 32)

    static func grant(_ ring: TokenKeyRing, order: String, user: String, amount: Int64, version: RewardToken.Version = .v2)
        -> BonusEvent
    {
        var ring = ring
        ring.mintVersion = version
        let now = Date()
        let token = ring.mint(orderID: OrderID(order), userID: user, rewardType: "cash_red_envelope", amount: amount,
                              activityID: "fest", issuedAt: now)
        return BonusEvent(
            orderID: OrderID(order), activity: Activity(id: "fest", sceneID: "rain"),
            user: User(id: user, deviceID: "device", appID: "app"), bonus: BonusContent(rewardType: "cash_red_envelope", amount: amount),
            lane: .cash, grantedAtMilliseconds: Int64(now.timeIntervalSince1970 * 1000), token: token.encoded)
    }

    @Test("Key 1 and key 2 tokens (v1 and v2) in flight together are all credited once; after retirement key 1 is refused")
    func rotationWithBothKeysInFlight() async throws {
        let harness = try LaneHarness()
        try await SettlementFixture.with("rotation") { fixture in
            let before = try TokenKeyRing(keys: [1: Self.oldKey], currentKeyID: 1)
            // Step 1: every verifier holds both keys; signing still uses key 1.
            let verifying = try TokenKeyRing(keys: [1: Self.oldKey, 2: Self.newKey], currentKeyID: 1)
            // Step 2: the SDK hosts sign with key 2.
            let after = try TokenKeyRing(keys: [1: Self.oldKey, 2: Self.newKey], currentKeyID: 2)
            var oldEvents = (0..<40).map { Self.grant(before, order: "k1-\($0)", user: "u\($0 % 5)", amount: 10) }
            oldEvents += (0..<10).map { Self.grant(before, order: "k1v1-\($0)", user: "u\($0 % 5)", amount: 10, version: .v1) }
            let newEvents = (0..<50).map { Self.grant(after, order: "k2-\($0)", user: "u\($0 % 5)", amount: 10) }
            try await harness.produce(oldEvents + newEvents, to: .a, topic: "reward-cash")

            // A withdrawal during the rotation presents one token of each key: both settle.
            let stores = WalletStores(single: fixture.pool)
            let withdrawals = WithdrawalService(
                stores: stores, engine: fixture.engine(), payout: PayoutLedger(shards: stores.settlement.wallet),
                catalog: fixture.catalog, keyRing: after, logger: harness.logger, metrics: TestMetrics())
            let receipt = try await withdrawals.withdraw(WithdrawalRequest(
                userID: "u0", amount: 20, currency: "CNY", requestID: "rot-1",
                presentedTokens: [oldEvents[0], newEvents[0]].map {
                    PresentedToken(token: $0.token, orderID: $0.orderID.rawValue, rewardType: $0.bonus.rewardType, amount: $0.bonus.amount,
                                   activityID: $0.activity.id, sceneID: $0.activity.sceneID)
                }))
            #expect(receipt.status == .paidOut, "\(receipt.rejected)")
            #expect(Set(receipt.settled.map(\.orderID)) == ["k1-0", "k2-0"])

            let lane = RunningServices([try harness.lane(.a, .cash, fixture: fixture, keyRing: verifying)], logger: harness.logger)
            try await eventually(.seconds(120), "both keys' events credited") {
                try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE state = 'credited'") == 100
            }
            try await lane.stop()
            #expect(try await fixture.count("SELECT COUNT(*) FROM dead_letters") == 0)
            #expect(try await fixture.count("SELECT COUNT(*) FROM wallet_entries WHERE transfer_id LIKE 'credit:%' AND account <> '~issuance'") == 100,
                    "each credited once, the two withdrawn ones included")

            // Step 3, too early: key 1 retired while its events are still on a lane. They are refused
            // as unknown-key (parked, never paid) — which is why the runbook waits.
            let retired = try TokenKeyRing(keys: [2: Self.newKey], currentKeyID: 2)
            let straggler = Self.grant(before, order: "k1-late", user: "u9", amount: 10)
            try await harness.produce([straggler, Self.grant(after, order: "k2-late", user: "u9", amount: 10)], to: .a, topic: "reward-cash")
            let lateLane = RunningServices([try harness.lane(.a, .cash, fixture: fixture, keyRing: retired)], logger: harness.logger)
            try await eventually(.seconds(120), "the key-2 event credited, the key-1 event parked") {
                let credited = try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE order_id = 'k2-late' AND state = 'credited'")
                let parked = try await fixture.count("SELECT COUNT(*) FROM dead_letters WHERE order_id = 'k1-late'")
                return credited == 1 && parked == 1
            }
            try await lateLane.stop()
            #expect(try await fixture.count(
                "SELECT COUNT(*) FROM dead_letters WHERE order_id = 'k1-late' AND reason_code = 'token_unknown_key'") == 1)
            #expect(try await fixture.count("SELECT COUNT(*) FROM wallet_entries WHERE order_id = 'k1-late'") == 0)
        }
    }
}
