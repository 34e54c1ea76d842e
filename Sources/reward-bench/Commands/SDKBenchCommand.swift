import ArgumentParser
import Foundation
import Kafka
import Logging
import Prometheus
import RewardCore
import RewardOps
import RewardSDK
import Synchronization

/// `reward-bench sdk`: `RewardClient.sendBonus` against two in-process mock clusters, next to a
/// raw produce of the same payload through our `KafkaProducer` callback API, in the same run.
struct SDKBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sdk",
        abstract: "Grants/s and latency of sendBonus vs. a raw produce of the same payload.",
        discussion: """
            Hosts clusters A and B (librdkafka mock clusters) in this process, so the brokers share
            the CPU with the client. Phases: raw produce (callback API, both clusters), sendBonus at
            full speed from many concurrent callers, then sendBonus paced at half the rate it reached.
            The last line is the throughput ratio sdk/raw. With --rtt-ms the brokers answer after
            a real broker's round trip (drawn per broker each second); the lines then show the share
            of grants acknowledged live (not spooled), the figure that round trips put at risk.
            """)

    @Option(help: "Seconds per measured phase.")
    var duration: Double = 10

    @Option(help: "Concurrent callers of sendBonus.")
    var callers = 400

    @Option(help: "Raw producer: the most records in flight at once.")
    var rawWindow = 200_000

    @Option(help: "Brokers per mock cluster.")
    var brokers = 3

    @Option(help: "Producer linger in milliseconds (both phases).")
    var lingerMs = 5

    @Option(help: "Broker round trip in ms, LOW-HIGH (drawn per broker each second) or fixed, e.g. 5-30.")
    var rttMs: RoundTripProfile?

    @Option(help: "The reward type catalog.")
    var catalog = "ops/config/reward-types.json"

    func run() async throws {
        let logger = BenchLogging.logger("reward-bench")
        let host = try DevKafkaHost(brokers: brokers, logger: logger)
        for cluster in host.clusters {
            for lane in Lane.allCases {
                try cluster.createTopic("reward-\(lane.rawValue)", partitions: 12, replicationFactor: min(3, brokers))
            }
        }
        let catalog = try RewardCatalog.load(from: self.catalog)
        let keyRing = try TokenKeyRing(keys: [1: (0..<32).map { UInt8($0) }], currentKeyID: 1)
        let sample = SampleGrants(catalogTypes: ["cash_red_envelope", "coupon_10off"])
        let payload = sample.payloadSize(keyRing: keyRing)
        print("reward-bench sdk: 2 mock clusters x \(brokers) brokers in-process, 12 partitions per topic, "
            + "linger \(lingerMs) ms, event \(payload) bytes, \(ProcessInfo.processInfo.activeProcessorCount) cores, "
            + "round trip \(rttMs.map(\.description) ?? "none (mock)")")
        let roundTrips = rttMs?.drive(host.clusters, brokers: brokers)
        defer { roundTrips?.cancel() }

        // Raw baseline: the same producer settings, the same payload size, no SDK.
        let bootstrap = host.clusters.map { [$0.bootstrapServers] }
        let raw = try await RawProducePhase(
            bootstrap: bootstrap, payloadSize: payload, linger: .milliseconds(lingerMs), window: rawWindow, logger: logger
        ).run(duration: duration)
        print("raw produce (KafkaProducer callback API, up to \(rawWindow) in flight): \(raw.count) records in "
            + "\(String(format: "%.2f", raw.seconds)) s = \(formatRate(raw.rate)) msgs/s; \(raw.latencies.summary)")
        // The same, but with only as many records in flight as the SDK has callers: what waiting
        // for each acknowledgement costs by itself, SDK aside.
        let rawAwaited = try await RawProducePhase(
            bootstrap: bootstrap, payloadSize: payload, linger: .milliseconds(lingerMs), window: callers, logger: logger
        ).run(duration: duration)
        print("raw produce, \(callers) in flight: \(formatRate(rawAwaited.rate)) msgs/s; \(rawAwaited.latencies.summary)")

        let spool = NSTemporaryDirectory() + "reward-bench-spool-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: spool) }
        var configuration = RewardClientConfiguration(
            clusters: host.clusters.map { .init(name: ClusterName(rawValue: $0.name), bootstrapServers: [$0.bootstrapServers]) },
            catalog: catalog, keyRing: keyRing, spoolDirectory: spool)
        configuration.delivery.linger = .milliseconds(lingerMs)
        let registry = PrometheusCollectorRegistry()
        let client = try await RewardClient(configuration: configuration, logger: logger,
                                            metrics: PrometheusMetricsFactory(registry: registry))
        // As a service does: connect, fetch metadata and initialise the producers before traffic.
        let starting = ContinuousClock.now
        try await client.start()
        print("client.start(): ready on \(client.readyClusterNames.map(\.rawValue).joined(separator: ",")) in \(ContinuousClock.now - starting)")

        _ = await GrantPhase(client: client, grants: sample, callers: callers, prefix: "warm").run(duration: min(2, duration))
        await Self.drainSpool(client)

        var before = Self.outcomes(registry)
        let full = await GrantPhase(client: client, grants: sample, callers: callers, prefix: "full").run(duration: duration)
        print("sdk sendBonus, \(callers) callers: \(full.count) grants in \(String(format: "%.2f", full.seconds)) s = "
            + "\(formatRate(full.rate)) grants/s; \(full.latencies.summary); failed \(full.failures); "
            + Self.describe(Self.outcomes(registry), since: before))
        // Replay of anything spooled would compete with the paced phase: let it finish first.
        await Self.drainSpool(client)

        let target = full.rate / 2
        before = Self.outcomes(registry)
        let half = await GrantPhase(client: client, grants: sample, callers: callers, prefix: "half")
            .run(duration: duration, pacedRate: target)
        print("sdk sendBonus paced at half rate (\(formatRate(target))/s target, \(formatRate(half.rate))/s reached): "
            + "\(half.latencies.summary) from the scheduled start (\(half.serviceLatencies.summary) from the call); "
            + "failed \(half.failures); " + Self.describe(Self.outcomes(registry), since: before))

        await client.shutdown()
        host.shutdown()
        print("ratio sdk/raw throughput at the same concurrency: \(String(format: "%.2f", full.rate / rawAwaited.rate))")
        print("ratio sdk/raw throughput: \(String(format: "%.2f", full.rate / raw.rate))")
    }

    /// Waits (at most a minute) until the spool is replayed; says how long that took.
    static func drainSpool(_ client: RewardClient) async {
        let depth = client.spoolDepth
        guard depth > 0 else { return }
        let start = ContinuousClock.now
        let left = await client.waitForSpoolReplay(within: .seconds(60))
        print("  (spool replay of \(depth) records took \(ContinuousClock.now - start); \(left) left)")
    }

    /// Grants per outcome over all reward types, from the Prometheus registry.
    static func outcomes(_ registry: PrometheusCollectorRegistry) -> [String: Double] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        var totals: [String: Double] = [:]
        for line in String(decoding: buffer, as: UTF8.self).split(separator: "\n") where line.hasPrefix("reward_sdk_grants_total{") {
            guard let outcomeStart = line.range(of: "outcome=\""), let value = line.split(separator: " ").last.flatMap({ Double($0) })
            else { continue }
            let outcome = line[outcomeStart.upperBound...].prefix { $0 != "\"" }
            totals[String(outcome), default: 0] += value
        }
        return totals
    }

    /// Grants per outcome in the phase, and the share acknowledged live (by a cluster within the
    /// budget, `acked_*`) rather than spooled or refused.
    static func describe(_ after: [String: Double], since before: [String: Double]) -> String {
        let phase = after.map { ($0.key, $0.value - (before[$0.key] ?? 0)) }.filter { $0.1 > 0 }.sorted { $0.0 < $1.0 }
        let total = phase.reduce(0) { $0 + $1.1 }
        let live = phase.filter { $0.0.hasPrefix("acked") }.reduce(0) { $0 + $1.1 }
        let share = total > 0 ? String(format: "%.2f%%", 100 * live / total) : "n/a"
        return phase.map { "\($0.0) \(Int($0.1))" }.joined(separator: ", ") + "; live \(share)"
    }
}
