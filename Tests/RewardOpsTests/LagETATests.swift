import Foundation
import RewardCore
import RewardTestKit
import Testing

/// `reward-admin lag`'s ETA against a drain measured with real consumer processes (issue 14, item 5).
@Suite("reward-admin lag: an ETA that matches the drain")
struct LagETATests {
    static let fleetRate = 40.0
    static let perCluster = 500

    @Test("A backlog on both clusters drained by two consumers at a 40/s fleet rate: the ETA is within 20% of the measured drain")
    func etaMatchesMeasuredDrain() async throws {
        let harness = try LaneHarness()
        let directory = try ConsumerProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await SettlementFixture.with("lag_eta") { fixture in
            let rates = #"{ "rates": { "cash_red_envelope": 40 } }"#
            var environment = try ConsumerProcess.environment(fixture: fixture, harness: harness, directory: directory, rates: rates)
            // A batch's credits land together once its permits are taken: batches of 20 at 20/s per
            // consumer credit every second, so the 5 s window below holds several of them.
            environment["REWARD_CONSUMER_BATCH_SIZE"] = "20"
            for cluster in [ClusterName.a, .b] {
                let grants = (0..<Self.perCluster).map {
                    LaneHarness.grant(order: "eta-\(cluster.rawValue)-\($0)", user: "u\($0 % 50)", amount: 1)
                }
                try await harness.produce(grants, to: cluster, topic: "reward-cash")
            }
            let total = 2 * Self.perCluster
            // One consumer per cluster; they share the lane's fleet rate (20/s each).
            let consumers = try ["A", "B"].map { try ConsumerProcess.start($0, "reward-cash", environment: environment) }
            let credited: @Sendable () async throws -> Int = { try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE state = 'credited'") }
            // Past the join window and a few batches *on both clusters*, so the last 5 s of credits are
            // the steady rate of both consumers: 250 in all once happened with one consumer still
            // ramping, and a 23.4/s sample made the ETA 13 s long (CI, 2026-12-02).
            let creditedOn: @Sendable (String) async throws -> Int = { cluster in
                try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE state = 'credited' AND order_id LIKE 'eta-\(cluster)-%'")
            }
            try await eventually(.seconds(120), interval: .milliseconds(200), "the drain under way on both clusters") {
                let (a, b) = (try await creditedOn("A"), try await creditedOn("B"))
                return a >= 125 && b >= 125
            }

            let admin = try AdminProcess(database: fixture.database, harness: harness)
                .adding(["REWARD_RATES_PATH": directory.appendingPathComponent("rates.json").path])
            let asked = ContinuousClock.now
            let result = try await admin.run(["lag", "--topic", "reward-cash", "--by-type", "--window", "5", "--json"])
            let answered = ContinuousClock.now
            #expect(result.status == 0, "\(result.errorOutput.suffix(1500))")
            let output = try JSONDecoder().decode(LagOutput.self, from: Data(result.output.utf8))
            let eta = try #require(output.lanes.first { $0.lane == "cash" && $0.rewardType == "cash_red_envelope" }, "\(result.output)")
            let reported = try #require(eta.etaSeconds)
            let worstPartition = output.partitions.filter { $0.rewardType == "cash_red_envelope" }.map(\.lag).max() ?? 0

            try await eventually(.seconds(180), interval: .milliseconds(100), "every grant credited") { try await credited() == total }
            let measured = Self.seconds(ContinuousClock.now - asked)
            for consumer in consumers { consumer.send(signal: SIGTERM) }
            for consumer in consumers { #expect(await consumer.waitForExit().status == 0) }

            print("lagETA: lag \(eta.lag) of \(total) at \(Self.seconds(answered - asked)) s into the sample; rate \(eta.rate ?? 0)/s "
                  + "(\(eta.rateSource)); ETA \(reported) s; measured drain \(measured) s; the old per-partition ETA "
                  + "\(Double(worstPartition) / Self.fleetRate) s")
            #expect(eta.rateSource == "measured", "the consumers were crediting")
            #expect(eta.lag > 0 && eta.lag < Int64(total), "part of the backlog left: \(eta.lag)")
            // The rate measured over 5 s of two processes' 100 ms slices, and the sample taken while
            // the drain goes on (the command's own run time is in `measured`): 20% or 2 s.
            let tolerance = max(0.2 * measured, 2)
            #expect(abs(reported - measured) <= tolerance, "ETA \(reported) s vs measured \(measured) s (tolerance \(tolerance) s)")
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
