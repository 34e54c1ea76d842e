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

    /// This instance's share of the partner type's rate, from its own /metrics.
    static func share(_ port: Int) async -> Double {
        guard let text = try? await LoopbackHTTP.get(port: port, path: "/metrics") else { return -1 }
        return ConsumerProcess.metric(text, "reward_rate_fleet_share", label: "bucket=\"prize_partner\"")
    }

    @Test("A backlog on cluster B only: B's two instances take the whole fleet rate, A's two idle ones hold none")
    func idleClusterGivesItsShare() async throws {
        let harness = try LaneHarness()
        let directory = try ConsumerProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await withSimulator(knobs: SimulatorKnobs(capacityPerSlice: 1_000)) { simulator, port in
            try await SettlementFixture.with("fleetidle") { fixture in
                let environment = try ConsumerProcess.environment(fixture: fixture, harness: harness, directory: directory,
                                                                  rates: Self.rates, simulatorPort: port)
                try await harness.produce(Self.prizes("b", 12_000), to: .b, topic: "reward-goods")
                var started: [(process: ChildProcess, metricsPort: Int)] = []
                for cluster in ["A", "A", "B", "B"] {
                    started.append(try await ConsumerProcess.startServing(cluster, "reward-goods", environment: environment))
                }
                let children = started
                // Under a fixed 1/N split each would hold a quarter; by demand B's instances hold it all
                // (half each, or all of it in one whose partitions hold the backlog while the other's are empty).
                let seen = TestBox<[Double]>([])
                let history = TestBox<[String]>([])
                let pollStart = ContinuousClock.now
                do {
                    try await eventually(.seconds(60), interval: .milliseconds(200), "B's instances hold the whole partner rate") {
                        var shares: [Double] = []
                        for child in children { shares.append(await Self.share(child.metricsPort)) }
                        if seen.value != shares { history.withLock { $0.append("\(ContinuousClock.now - pollStart): \(shares)") } }
                        seen.withLock { $0 = shares }
                        return shares[0] == 0 && shares[1] == 0 && abs(shares[2] + shares[3] - 1) < 1e-9
                    }
                } catch {
                    print("shares seen: \(history.value.joined(separator: "\n"))")
                    for child in children {
                        let text = (try? await LoopbackHTTP.get(port: child.metricsPort, path: "/metrics")) ?? ""
                        print(text.split(separator: "\n").filter { $0.contains("fleet") || $0.contains("effective") }.joined(separator: "\n"))
                    }
                    for child in children { child.process.send(signal: SIGKILL) }
                    for child in children { print("consumer said: \(await child.process.waitForExit().errorOutput.suffix(2_000))") }
                    throw error
                }
                print("idleCluster: shares A, A, B, B: \(seen.value)")
                try await eventually(.seconds(240), interval: .milliseconds(500), "12,000 prizes accepted downstream") {
                    simulator.stats.distinctOrderIds == 12_000
                }
                for child in children { child.process.send(signal: SIGTERM) }
                for child in children {
                    let exit = await child.process.waitForExit()
                    #expect(exit.status == 0, "\(exit.errorOutput.suffix(2_000))")
                }
                let stats = simulator.stats
                #expect(stats.maxPerPacedSlice <= 190, "the fleet emitted \(stats.maxPerPacedSlice) requests in one 100 ms slice")
                #expect(stats.rejected429 == 0)
                #expect(stats.accepted == 12_000, "every prize accepted once")
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
