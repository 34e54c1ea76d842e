import DownstreamSimulator
import Foundation
import RewardCore
import RewardTestKit
import Testing

/// The fleet-wide partner rate with real `reward-consumer` processes: shared by demand, and kept
/// when processes are killed, restarted under their old name, and stopped.
@Suite("Fleet rate by demand, across processes")
struct FleetRateProcessTests {
    static let rates = #"{ "rates": { "prize_partner": 1900 }, "sharedDownstreams": { "partner-prizes": { "rate": 1900, "types": ["prize_partner"] } } }"#

    static func prizes(_ prefix: String, _ count: Int) -> [BonusEvent] {
        (0..<count).map { LaneHarness.grant(order: "\(prefix)\($0)", user: "u\($0)", type: "prize_partner", amount: 1, lane: .goods) }
    }

    /// Every share of the partner type's own bucket an instance logged taking (info level:
    /// `fleet rate share changed` with `bucket=prize_partner share=…`).
    static func partnerShares(inLog log: String) -> [Double] {
        log.split(separator: "\n").filter { $0.contains("fleet rate share changed") && $0.contains("bucket=prize_partner ") }
            .compactMap { line in line.firstMatch(of: /share=([0-9.]+)/).flatMap { Double($0.1) } }
    }

    @Test("A backlog on cluster B only: B's two instances take the whole fleet rate, A's two idle ones hold none")
    func idleClusterGivesItsShare() async throws {
        let harness = try LaneHarness()
        let directory = try ConsumerProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await withSimulator(knobs: SimulatorKnobs(capacityPerSlice: 1_000)) { simulator, port in
            try await SettlementFixture.with("fleetidle") { fixture in
                var environment = try ConsumerProcess.environment(fixture: fixture, harness: harness, directory: directory,
                                                                  rates: Self.rates, simulatorPort: port)
                // Each consumer logs every change of its shares at info level; the test reads them from
                // its log when it exits. (Polling /metrics of four busy debug consumers took up to 40 s a
                // round on CI, too slow to see a state that lasts seconds.)
                environment["REWARD_LOG_LEVEL"] = "info"
                try await harness.produce(Self.prizes("b", 6_000), to: .b, topic: "reward-goods")
                let children = try ["A", "A", "B", "B"].map { try ConsumerProcess.start($0, "reward-goods", environment: environment) }
                try await eventually(.seconds(240), interval: .milliseconds(500), "6,000 prizes accepted downstream") {
                    simulator.stats.distinctOrderIds == 6_000
                }
                for child in children { child.send(signal: SIGTERM) }
                var held: [[Double]] = []
                for child in children {
                    let exit = await child.waitForExit()
                    #expect(exit.status == 0, "\(exit.errorOutput.suffix(2_000))")
                    held.append(Self.partnerShares(inLog: exit.errorOutput))
                }
                // Under a fixed 1/N split each would hold a quarter. By demand A's idle instances hold
                // nothing, and B's hold at least half each (half while both want it, all of it alone).
                print("idleCluster: partner shares each instance held (A, A, B, B): \(held)")
                #expect(held[0].allSatisfy { $0 == 0 } && held[1].allSatisfy { $0 == 0 }, "A's idle instances held \(held[0]), \(held[1])")
                #expect(!(held[2] + held[3]).filter { $0 > 0 }.isEmpty, "B's instances never held a share")
                #expect((held[2] + held[3]).allSatisfy { $0 == 0 || $0 >= 0.5 }, "B's shares: \(held[2]), \(held[3])")
                let stats = simulator.stats
                #expect(stats.maxPerPacedSlice <= 190, "the fleet emitted \(stats.maxPerPacedSlice) requests in one 100 ms slice")
                #expect(stats.rejected429 == 0)
                #expect(stats.accepted == 6_000, "every prize accepted once")
                let busy = stats.slices.filter { $0.count > 0 }.sorted { $0.slice < $1.slice }.dropFirst(10).dropLast(1)
                let average = Double(busy.map(\.count).reduce(0, +)) / Double(max(1, busy.count))
                print("idleCluster: B alone drained at \(Int(average * 10))/s of a 1,900/s fleet limit (a 1/N split would give 950/s)")
            }
        }
    }

    @Test("One instance killed with -9 and restarted under its old name while the other is stopped 5 s: no slice over the fleet limit")
    func killedRestartedAndStopped() async throws {
        let harness = try LaneHarness()
        let directory = try ConsumerProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await withSimulator(knobs: SimulatorKnobs(capacityPerSlice: 1_000)) { simulator, port in
            try await SettlementFixture.with("fleetstop") { fixture in
                let environment = try ConsumerProcess.environment(fixture: fixture, harness: harness, directory: directory,
                                                                  rates: Self.rates, simulatorPort: port)
                try await harness.produce(Self.prizes("a", 12_000), to: .a, topic: "reward-goods")
                try await harness.produce(Self.prizes("b", 12_000), to: .b, topic: "reward-goods")
                let onA = try ConsumerProcess.start("A", "reward-goods", environment: environment, arguments: ["--instance-id", "goods-a"])
                let onB = try ConsumerProcess.start("B", "reward-goods", environment: environment, arguments: ["--instance-id", "goods-b"])
                try await eventually(.seconds(120), interval: .milliseconds(200), "both instances crediting") {
                    let fromA = try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE state = 'credited' AND order_id LIKE 'a%'")
                    let fromB = try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE state = 'credited' AND order_id LIKE 'b%'")
                    return fromA >= 1_000 && fromB >= 1_000
                }
                // B stops past its lease (3 s) while A dies and comes back under the same name.
                onB.send(signal: SIGSTOP)
                onA.send(signal: SIGKILL)
                _ = await onA.waitForExit()
                let again = try ConsumerProcess.start("A", "reward-goods", environment: environment, arguments: ["--instance-id", "goods-a"])
                try await Task.sleep(for: .seconds(5))
                onB.send(signal: SIGCONT)
                try await eventually(.seconds(300), interval: .milliseconds(500), "24,000 prizes accepted downstream") {
                    simulator.stats.distinctOrderIds == 24_000
                }
                for child in [again, onB] { child.send(signal: SIGTERM) }
                for child in [again, onB] {
                    let exit = await child.waitForExit()
                    #expect(exit.status == 0, "\(exit.errorOutput.suffix(2_000))")
                }
                let stats = simulator.stats
                // By the senders' clocks (X-Reward-Paced-At). Before shares expired at every permit,
                // the resumed instance spent its old share next to the others' new ones: 238 in a slice.
                #expect(stats.maxPerPacedSlice <= 190, "the fleet emitted \(stats.maxPerPacedSlice) requests in one 100 ms slice")
                #expect(stats.rejected429 == 0)
                #expect(try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE state = 'credited'") == 24_000)
                print("killedRestartedAndStopped: busiest slice \(stats.maxPerPacedSlice) paced, \(stats.maxPerSlice) arrived; "
                      + "\(stats.accepted) accepted for 24,000 prizes")
            }
        }
    }
}
