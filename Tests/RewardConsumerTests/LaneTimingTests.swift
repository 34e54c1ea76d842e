import DownstreamSimulator
import Foundation
import Kafka
import RewardConsumer
import RewardCore
import RewardTestKit
import Testing

/// Timing a consumer process must get right whatever the clocks and the ledgers do: the lane's
/// bounds always release (issue 10, item 4), and retry delays hold across clock skew (item 5).
@Suite("Lane timing in consumer processes")
struct LaneTimingTests {
    @Test("A lane held at its in-flight bound by a slow ledger resumes by itself and drains the backlog to zero")
    func backpressureResumes() async throws {
        let harness = try LaneHarness()
        let directory = try ConsumerProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await withSimulator(knobs: SimulatorKnobs(capacityPerSlice: 10_000, latencyMilliseconds: 300)) { simulator, port in
            try await SettlementFixture.with("resume") { fixture in
                var environment = try ConsumerProcess.environment(fixture: fixture, harness: harness, directory: directory,
                                                                  rates: #"{ "rates": {} }"#, simulatorPort: port)
                // Forty records fill the lane; every partition is then paused and delivers nothing:
                // only the lane's own timer can see the slow ledger drain it and resume.
                environment["REWARD_CONSUMER_MAXIMUM_IN_FLIGHT"] = "40"
                let prizes = (0..<400).map { LaneHarness.grant(order: "slow-\($0)", user: "u\($0)", type: "prize_partner", amount: 1, lane: .goods) }
                try await harness.produce(prizes, to: .a, topic: "reward-goods")
                let consumer = try ConsumerProcess.start("A", "reward-goods", environment: environment)
                try await eventually(.seconds(120), interval: .milliseconds(500), "the backlog drained") {
                    try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE state = 'credited'") == prizes.count
                }
                #expect(simulator.stats.accepted == prizes.count)
                consumer.send(signal: SIGTERM)
                #expect(await consumer.waitForExit().status == 0)
            }
        }
    }

    @Test("A retry-topic record waits its delay after it is read, whether its producer's clock ran an hour ahead or behind")
    func retryDelayAcrossClockSkew() async throws {
        let harness = try LaneHarness()
        let directory = try ConsumerProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await SettlementFixture.with("retryclock") { fixture in
            let environment = try ConsumerProcess.environment(fixture: fixture, harness: harness, directory: directory,
                                                              rates: #"{ "rates": {} }"#)
            let consumer = try ConsumerProcess.start("A", "reward-cash", environment: environment)
            // Let the consumer join its group before the records arrive, so their wait starts at once.
            let warm = LaneHarness.grant(order: "warm", user: "u0", amount: 1)
            try await harness.produce([warm], to: .a, topic: "reward-cash")
            try await eventually(.seconds(60), "the consumer is up") {
                try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE state = 'credited'") == 1
            }
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let delay: Int64 = 3_000
            // As parked by consumers whose clocks are an hour ahead and an hour behind this one.
            let skews: [(String, Int64)] = [("ahead", 3_600_000), ("behind", -3_600_000)]
            let parked = skews.map { name, skew in
                let event = LaneHarness.grant(order: "retry-\(name)", user: "u1", amount: 2)
                return KafkaProducerMessage(topic: "reward-cash-retry", key: event.key, value: event.encoded(), headers: [
                    KafkaHeader(name: ParkingHeaders.retryDelay, value: Array(String(delay).utf8)),
                    KafkaHeader(name: ParkingHeaders.notBefore, value: Array(String(now + skew + delay).utf8)),
                    KafkaHeader(name: ParkingHeaders.attempts, value: Array("3".utf8)),
                ])
            }
            let sent = ContinuousClock.now
            try await harness.produce(parked, to: .a)
            try await Task.sleep(for: .milliseconds(1_500))
            #expect(try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE order_id LIKE 'retry-%'") == 0,
                    "not before its delay: a producer an hour behind does not make the record due at once")
            try await eventually(.seconds(20), "both settled soon after their delay, not an hour later") {
                try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE order_id LIKE 'retry-%' AND state = 'credited'") == 2
            }
            #expect(ContinuousClock.now - sent >= .milliseconds(delay))
            consumer.send(signal: SIGTERM)
            #expect(await consumer.waitForExit().status == 0)
        }
    }
}
