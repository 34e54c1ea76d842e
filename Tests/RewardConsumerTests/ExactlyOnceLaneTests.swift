import Foundation
import Kafka
import MariaDB
import RewardConsumer
import RewardCore
import RewardSettlement
import RewardTestKit
import Testing

@Suite("Lane consumers credit every grant once, whatever is delivered")
struct ExactlyOnceLaneTests {
    @Test("100,000 events with 10% duplicates (same and other cluster) and 1% conflicting reuse: exact to the cent")
    func duplicatesAndConflictsAcrossClusters() async throws {
        // 1,000 conflicts are expected warnings; printing them would bury a real failure in CI's tail.
        let harness = try LaneHarness(logLevel: .critical)
        try await SettlementFixture.with("lanes100k", maxConnections: 16) { fixture in
            // 90,000 distinct grants, 9,000 duplicates, then 1,000 conflicting reuses: 100,000 records.
            var generator = SystemRandomNumberGenerator()
            let originals = (0..<90_000).map { index -> BonusEvent in
                let type = index % 5 == 0 ? "coin_lucky" : "cash_red_envelope"
                return LaneHarness.grant(order: "o\(index)", user: "u\(index % 9_000)", type: type,
                                         amount: Int64.random(in: 1...8_880, using: &generator))
            }
            let duplicates = (0..<9_000).map { originals[$0 * 10] }
            // Same order id, another user or another amount, each with a genuine token for what it says.
            let conflicts = (0..<1_000).map { index -> BonusEvent in
                let original = originals[index * 90 + 1]
                return index.isMultiple(of: 2)
                    ? LaneHarness.grant(order: original.orderID.rawValue, user: "intruder\(index)", type: original.bonus.rewardType,
                                        amount: original.bonus.amount)
                    : LaneHarness.grant(order: original.orderID.rawValue, user: original.user.id, type: original.bonus.rewardType,
                                        amount: original.bonus.amount + 1)
            }
            #expect(originals.count + duplicates.count + conflicts.count == 100_000)

            // Originals split over both clusters; half the duplicates to the same cluster, half to the other.
            let toA = originals.enumerated().filter { $0.offset.isMultiple(of: 2) }.map(\.element)
            let toB = originals.enumerated().filter { !$0.offset.isMultiple(of: 2) }.map(\.element)
            try await harness.produce(toA + duplicates.prefix(4_500), to: .a, topic: "reward-cash")
            try await harness.produce(toB + duplicates.suffix(4_500), to: .b, topic: "reward-cash")

            let lanes = RunningServices([
                try harness.lane(.a, .cash, fixture: fixture), try harness.lane(.b, .cash, fixture: fixture),
            ], logger: harness.logger)
            try await eventually(.seconds(150), interval: .milliseconds(500), "90,000 credited") {
                try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE state = 'credited'") == 90_000
            }
            // Conflicts arrive after their originals were credited, so which version wins is fixed.
            try await harness.produce(Array(conflicts.prefix(500)), to: .a, topic: "reward-cash")
            try await harness.produce(Array(conflicts.suffix(500)), to: .b, topic: "reward-cash")
            try await eventually(.seconds(60), interval: .milliseconds(500), "1,000 conflicts parked") {
                try await fixture.count("SELECT COUNT(*) FROM dead_letters WHERE reason_code = 'order_id_conflict'") == 1_000
            }
            try await lanes.stop()

            var expected: [SettlementFixture.AccountKey: Int64] = [:]
            for grant in originals {
                let currency = grant.bonus.rewardType == "coin_lucky" ? "COIN" : "CNY"
                expected[SettlementFixture.AccountKey(userID: grant.user.id, currency: currency), default: 0] += grant.bonus.amount
            }
            let balances = try await fixture.balances()
            #expect(balances == expected, "balances differ from the sum over distinct grants")
            #expect(try await fixture.entrySums() == expected, "entries differ from the sum over distinct grants")
            #expect(try await fixture.unbalancedTransfers() == 0)
            #expect(try await fixture.count("SELECT COUNT(*) FROM wallet_entries WHERE account <> '~issuance'") == 90_000)
            #expect(try await fixture.count("SELECT COUNT(*) FROM order_anomalies") == 1_000)
            #expect(try await fixture.count("SELECT COUNT(*) FROM wallet_entries WHERE account LIKE 'intruder%'") == 0)
            // The tokens the records carried are on the wallet page even though no SDK recorded them.
            #expect(try await fixture.count("SELECT COUNT(*) FROM reward_tokens") >= 90_000)
        }
    }
}
