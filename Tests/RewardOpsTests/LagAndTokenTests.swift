import Foundation
import RewardCore
import RewardOps
import RewardTestKit
import Testing

@Suite("reward-admin lag and token")
struct LagAndTokenTests {
    @Test("lag reports every partition of the lane topic, the lag per reward type and an ETA at the configured rates")
    func lagByType() async throws {
        let harness = try LaneHarness()
        try await SettlementFixture.with("lag") { fixture in
            let cash = (0..<20).map { LaneHarness.grant(order: "l-\($0)", user: "u\($0)", amount: 5) }
            let coins = (0..<10).map { LaneHarness.grant(order: "c-\($0)", user: "u\($0)", type: "coin_lucky", amount: 5) }
            try await harness.produce(cash + coins, to: .a, topic: "reward-cash")
            let admin = try AdminProcess(database: fixture.database, harness: harness)
            let result = try await admin.run(["lag", "--cluster", "A", "--topic", "reward-cash", "--by-type", "--json"])
            #expect(result.status == 0, "\(result.errorOutput.suffix(1500))")
            let output = try JSONDecoder().decode(LagOutput.self, from: Data(result.output.utf8))
            let rows = output.partitions
            #expect(rows.allSatisfy { $0.cluster == "A" })
            let partitions = rows.filter { $0.rewardType == "*" }
            #expect(partitions.count == 12)
            #expect(partitions.reduce(0) { $0 + $1.lag } == 30)
            #expect(partitions.allSatisfy { $0.committed == nil })
            let byType = Dictionary(grouping: rows.filter { $0.rewardType != "*" }, by: \.rewardType).mapValues { $0.reduce(0) { $0 + $1.lag } }
            #expect(byType == ["cash_red_envelope": 20, "coin_lucky": 10])
            // Nothing credited yet: each type's ETA is its whole lag over its fleet rate; the lane's is its slowest type's.
            let types = output.lanes.filter { $0.rewardType != "*" }
            #expect(Set(types.map(\.rewardType)) == ["cash_red_envelope", "coin_lucky"])
            for eta in types {
                #expect(eta.lag == byType[eta.rewardType] && eta.rateSource == "fleet_rate", "\(eta)")
                let rate = try #require(eta.rate)
                #expect(abs((eta.etaSeconds ?? 0) - Double(eta.lag) / rate) < 1e-9, "\(eta)")
            }
            let lane = try #require(output.lanes.first { $0.rewardType == "*" })
            #expect(lane.lag == 30 && lane.etaSeconds == types.compactMap(\.etaSeconds).max(), "\(lane)")

            let table = try await admin.run(["lag", "--cluster", "A"])
            #expect(table.status == 0)
            #expect(table.output.contains("lag: 30 records behind on cluster A"), "\(table.output.suffix(400))")
            let unknown = try await admin.run(["lag", "--cluster", "A", "--topic", "nope"])
            #expect(unknown.status != 0 && unknown.errorOutput.contains("topic nope is not declared"))
        }
    }

    @Test("token inspect and verify: valid, someone else's, another activity, altered amount, expired, and not a token at all")
    func tokens() async throws {
        let ring = LaneHarness.keyRing
        let issued = Date(timeIntervalSince1970: 1_795_000_000)
        let token = ring.mint(orderID: "o-1", userID: "alice", rewardType: "cash_red_envelope", amount: 88, activityID: "fest",
                              issuedAt: issued).encoded
        let now = issued.addingTimeInterval(60)
        func check(_ user: String, _ amount: Int64?, activity: String? = "fest", at time: Date = now) throws -> TokenInspection {
            try TokenInspection(token: token, ring: ring, order: TokenInspection.Order(
                orderID: "o-1", userID: user, rewardType: "cash_red_envelope", amount: amount, activityID: activity), now: time)
        }
        #expect(try check("alice", 88).verification == "valid")
        #expect(try check("alice", nil).verification == "valid")
        #expect(try check("mallory", 88).verification == "token_signature_mismatch")
        #expect(try check("alice", 88, activity: "other").verification == "token_signature_mismatch")
        #expect(try check("alice", 88, activity: nil).verification == "activity_required")
        #expect(try check("alice", 8800).verification == "token_amount_mismatch")
        #expect(try check("alice", 88, at: issued.addingTimeInterval(40 * 86_400)).verification == "token_expired")
        let fields = try TokenInspection(token: token, ring: ring, order: nil, now: now)
        #expect(fields.keyID == 1 && fields.keyKnown && fields.amount == 88 && fields.verification == nil)
        #expect(throws: TokenError.self) { _ = try TokenInspection(token: "not-a-token", ring: ring, order: nil) }

        do {
            let admin = try AdminProcess(database: nil, harness: nil)
            let valid = try await admin.run(["token", "verify", token, "--order", "o-1", "--user", "alice", "--type", "cash_red_envelope",
                                             "--activity", "fest", "--ignore-expiry"])
            #expect(valid.status == 0, "\(valid.errorOutput)")
            #expect(valid.output.contains("verifies: valid"))
            let forged = try await admin.run(["token", "verify", token, "--order", "o-1", "--user", "bob", "--type", "cash_red_envelope",
                                              "--activity", "fest"])
            #expect(forged.status == 1)
            #expect(forged.output.contains("does NOT verify: token_signature_mismatch"), "\(forged.output)")
            let garbage = try await admin.run(["token", "inspect", "%%%"])
            #expect(garbage.status != 0)
            #expect(garbage.errorOutput.contains("not a reward token: token_malformed"), "\(garbage.errorOutput)")
        }
    }
}
