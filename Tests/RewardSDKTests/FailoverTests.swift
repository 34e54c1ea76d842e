import Foundation
import MetricsTestKit
import RewardCore
@testable import RewardSDK
import RewardTestKit
import Testing

extension SDKIntegrationTests {
    @Suite("Failover between clusters and the spool")
    struct FailoverTests {
        /// Acknowledgements per cluster and spooled grants, for comparing phases.
        struct Counts: Equatable, CustomStringConvertible {
            var a: Int64
            var b: Int64
            var spooled: Int64

            init(_ metrics: TestMetrics) {
                a = metrics.grants("acked_a")
                b = metrics.grants("acked_b")
                spooled = metrics.grants("spooled")
            }

            static func - (lhs: Counts, rhs: Counts) -> Counts {
                var result = lhs
                result.a -= rhs.a
                result.b -= rhs.b
                result.spooled -= rhs.spooled
                return result
            }

            var description: String { "A \(a), B \(b), spooled \(spooled)" }
        }

        @Test("Cluster A down: its traffic moves to B; when A returns it takes its share again")
        func clusterADown() async throws {
            let bed = try SDKTestBed(name: "a-down")
            let metrics = TestMetrics()
            let client = try await bed.makeClient(metrics: metrics)
            let phase = TestBox(0)
            @Sendable func grant(_ count: Int) async throws -> Counts {
                let prefix = phase.withLock { phase in
                    phase += 1
                    return "phase\(phase)"
                }
                let before = Counts(metrics)
                let tokens = try await grantConcurrently(client, count: count, tasks: 50, prefix: prefix)
                #expect(tokens.count == count)
                return Counts(metrics) - before
            }

            let healthy = try await grant(1_000)
            #expect(healthy.a > 300 && healthy.b > 300 && healthy.spooled == 0, "both up: \(healthy)")

            try bed.a.cluster.setAllBrokersDown()
            _ = try await grant(200)  // A's breaker trips during these; they fail over to B
            let aDown = try await grant(2_000)
            #expect(aDown.a == 0 && aDown.b == 2_000 && aDown.spooled == 0, "A down: \(aDown)")

            // A's brokers reconnect one by one, so a first probe may succeed and the breaker trip
            // again; what must happen is that A soon takes its full share again, and stays healthy.
            try bed.a.cluster.setAllBrokersUp()
            let health = try metrics.expectGauge("reward_sdk_cluster_health", [("cluster", "A")])
            try await eventually(.seconds(30), interval: .milliseconds(10), "A back in rotation") {
                let back = try await grant(1_000)
                return back.a > 300 && back.b > 300 && back.spooled == 0 && health.lastValue == 2
            }
            #expect(health.values.contains(0) && health.values.contains(1), "down, then probing: \(health.values)")
            await client.shutdown()
        }

        @Test("Both clusters down: grants succeed from the spool, and all are delivered when A returns")
        func bothDown() async throws {
            let bed = try SDKTestBed(name: "both-down")
            let metrics = TestMetrics()
            let client = try await bed.makeClient(metrics: metrics)
            try bed.a.cluster.setAllBrokersDown()
            try bed.b.cluster.setAllBrokersDown()

            let count = 300
            let tokens = try await grantConcurrently(client, count: count, tasks: 30, prefix: "down")
            #expect(tokens.count == count)
            #expect(Counts(metrics) == Counts(a: 0, b: 0, spooled: Int64(count)))
            #expect(client.spoolDepth == count)
            #expect(try bed.spoolSegments().count >= 1)
            // Group commit: concurrent grants share fdatasync calls.
            #expect(client.spoolSyncCount < count, "\(client.spoolSyncCount) syncs for \(count) grants")
            #expect(try metrics.expectGauge("reward_sdk_cluster_health", [("cluster", "A")]).lastValue != 2)

            try bed.a.cluster.setAllBrokersUp()
            try await eventually(.seconds(40), interval: .milliseconds(100), "spool replayed") { client.spoolDepth == 0 }
            try await eventually(.seconds(10), interval: .milliseconds(100), "replayed segments deleted") {
                try bed.spoolSegments().isEmpty
            }
            #expect(try metrics.expectGauge("reward_sdk_spool_depth").lastValue == 0)
            await client.shutdown()

            let delivered = Set(try await bed.events(.a).map(\.orderID.rawValue))
            let granted = Set((0..<count).map { SampleGrant($0, prefix: "down").orderID.rawValue })
            #expect(granted.subtracting(delivered).isEmpty, "\(granted.subtracting(delivered).count) grants lost")
        }

        @Test("Neither a cluster nor the spool can take the grant: not_durable")
        func notDurable() async throws {
            let bed = try SDKTestBed(name: "not-durable")
            let metrics = TestMetrics()
            let client = try await bed.makeClient(metrics: metrics)
            try bed.a.cluster.setAllBrokersDown()
            try bed.b.cluster.setAllBrokersDown()
            // No segment is open yet; without its directory the spool cannot create one.
            try FileManager.default.removeItem(atPath: bed.spoolDirectory)
            do {
                _ = try await SampleGrant(1).send(client)
                Issue.record("the grant was accepted with no cluster and no spool")
            } catch {
                #expect(error.code == .notDurable)
            }
            #expect(metrics.grants("rejected:not_durable") == 1)
            await client.shutdown()
        }

        @Test("A cluster that acknowledges only after the budget is taken out like a dead one; grants stay live on the other")
        func slowClusterIsTakenOut() async throws {
            let bed = try SDKTestBed(name: "slow")
            var configuration = bed.configuration()
            configuration.delivery.hedgeFloor = .milliseconds(150)
            configuration.delivery.budget = .milliseconds(600)
            configuration.delivery.promise = .milliseconds(900)
            configuration.delivery.coolDown = .seconds(30)
            let metrics = TestMetrics()
            let client = try await bed.makeClient(configuration, metrics: metrics)
            for broker in Int32(1)...3 { try bed.a.cluster.setRoundTripTime(broker, .milliseconds(600)) }
            _ = try await grantConcurrently(client, count: 100, tasks: 10, prefix: "slow-warmup")
            let before = Counts(metrics)
            _ = try await grantConcurrently(client, count: 500, tasks: 25, prefix: "slow")
            let slow = Counts(metrics) - before
            #expect(slow == Counts(a: 0, b: 500, spooled: 0), "\(slow)")
            await client.shutdown()
        }
    }
}

extension SDKIntegrationTests.FailoverTests.Counts {
    init(a: Int64, b: Int64, spooled: Int64) {
        self.a = a
        self.b = b
        self.spooled = spooled
    }
}
