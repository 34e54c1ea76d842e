import DownstreamSimulator
import Foundation
import Kafka
import RewardCore
import RewardTestKit
import Testing

/// A consumer on a machine whose clock is wrong (RELIABILITY row 18), as real processes: one of
/// two instances of a lane runs an hour and 50 ms ahead (`REWARD_CLOCK_OFFSET_MILLISECONDS`).
@Suite("reward-consumer with a skewed clock")
struct ClockSkewProcessTests {
    static let offset: Int64 = 3_600_050

    @Test("One of two consumers an hour and 50 ms ahead: every prize credited once, the fleet rate (60 a slice) held by real time within one share")
    func skewedInstanceSharesTheFleetRate() async throws {
        let harness = try LaneHarness()
        let directory = try ConsumerProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // The simulator is told the skew, so that it counts the skewed instance's requests at the
        // real time they were paced for; it admits far more than the cap, so its counts show what
        // the fleet sent. The rate is low enough (600/s) for a debug build to reach it.
        let knobs = SimulatorKnobs(capacityPerSlice: 1_000, senderClockOffsetsMilliseconds: [Self.offset])
        try await withSimulator(knobs: knobs) { simulator, port in
            try await SettlementFixture.with("clockskew") { fixture in
                let rates = #"{ "rates": { "prize_partner": 600 }, "sharedDownstreams": { "partner-prizes": { "rate": 600, "types": ["prize_partner"] } } }"#
                var environment = try ConsumerProcess.environment(fixture: fixture, harness: harness, directory: directory, rates: rates,
                                                                  simulatorPort: port)
                environment["REWARD_MODE"] = "development"
                var skewed = environment
                skewed["REWARD_CLOCK_OFFSET_MILLISECONDS"] = String(Self.offset)
                let prizes = (0..<6_000).map { LaneHarness.grant(order: "s\($0)", user: "u\($0)", type: "prize_partner", amount: 1, lane: .goods) }
                try await harness.produce(prizes, to: .a, topic: "reward-goods")
                let children = [try ConsumerProcess.start("A", "reward-goods", environment: environment),
                                try ConsumerProcess.start("A", "reward-goods", environment: skewed)]
                try await eventually(.seconds(300), interval: .milliseconds(500), "6,000 prizes accepted downstream") {
                    simulator.stats.distinctOrderIds == 6_000
                }
                for child in children { child.send(signal: SIGTERM) }
                for child in children {
                    let exit = await child.waitForExit()
                    #expect(exit.status == 0, "\(exit.errorOutput.suffix(2_000))")
                }
                let stats = simulator.stats
                // Repeats of a key are answered 409 and credit nothing (a rebalance as the second
                // instance joins hands in-flight records over); a second credit would show here.
                #expect(stats.accepted == 6_000, "each prize credited once: \(stats.accepted) credits, \(stats.duplicates) repeats")
                #expect(try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE state = 'credited'") == 6_000)
                // The skew was on: the skewed instance sent stamps an hour ahead, and recorded its
                // claims an hour ahead, while the other recorded the real time.
                #expect(stats.pacedBySkewedSenders > 0, "no request came from the skewed instance")
                #expect(stats.pacedBySkewedSenders < 6_000, "the other instance sent none")
                let ahead = try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE claimed_at > UTC_TIMESTAMP(6) + INTERVAL 30 MINUTE")
                #expect(ahead > 0 && ahead < 6_000, "\(ahead) claims recorded an hour ahead")
                // By real time: each instance spends its share per slice of its own clock, and the
                // skewed one's slices straddle the real ones by 50 ms, so a real 100 ms may hold
                // parts of two of its slices: at most the fleet's 60 plus one share (30).
                print("clockSkew: busiest real slice \(stats.maxPerPacedSlice) paced (fleet 60 + one share 30), "
                      + "\(stats.pacedBySkewedSenders) requests from the skewed instance, \(stats.maxPerSlice) arrived, \(stats.duplicates) repeats")
                #expect(stats.maxPerPacedSlice <= 60 + 30, "the fleet emitted \(stats.maxPerPacedSlice) requests in one real 100 ms slice")
            }
        }
    }

    @Test("A skewed clock is refused outside development mode, and a malformed offset anywhere, before anything starts")
    func refusedOutsideDevelopment() async throws {
        let bin = try TestEnvironment.binPath()
        let base = [
            "REWARD_CONFIG": "", "REWARD_TOKENS_KEYS": "3:" + Data((0..<32).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }).base64EncodedString(),
            "REWARD_TOKENS_CURRENT_KEY_ID": "3", "REWARD_CATALOG_PATH": "\(TestEnvironment.repositoryRoot)/ops/config/reward-types.json",
        ]
        let cases: [(mode: String, offset: String, says: String)] = [
            ("production", "3600050", "refusing to start: clock.offsetMilliseconds would run this process 3600050 ms off"),
            ("development", "an hour", "clock.offset_invalid"),
            ("development", "86400001", "within ±86400000"),
            ("development", "-9223372036854775808", "clock.offset_invalid"),
        ]
        for (mode, offset, says) in cases {
            var environment = base
            environment["REWARD_MODE"] = mode
            environment["REWARD_CLOCK_OFFSET_MILLISECONDS"] = offset
            let consumer = try await runExecutable("\(bin)/reward-consumer", ["--cluster", "A", "--topic", "reward-cash"],
                                                   environment: environment, directory: TestEnvironment.repositoryRoot)
            #expect(consumer.status != 0, "\(mode) \(offset)")
            #expect(consumer.errorOutput.contains(says), "\(mode) \(offset): \(consumer.errorOutput.suffix(600))")
        }
    }
}
