import ArgumentParser
import Dispatch
import Foundation
import Kafka
import Logging
import Prometheus
import RewardCore
import RewardOps
import RewardSDK
import Synchronization

/// `reward-grant-cost`: a fixed number of grants (or raw records) and nothing else, for an
/// instruction counter. Run it under `valgrind --tool=callgrind` with two counts: the difference
/// divided by the difference in counts is the cost of one grant, start-up and shutdown cancelled.
///
/// Not a `reward-bench` subcommand: valgrind 3.19 crashes when a thread is created while an async
/// `main` parks the main thread in `dispatch_main`, so this main is synchronous and waits on a semaphore.
@main
struct GrantCost: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reward-grant-cost",
        abstract: "Exactly N grants (or N raw records) against in-process mock clusters, for callgrind.",
        discussion: """
            Deadlines are stretched to seconds so that a run slowed down by an instrumenting tool
            still takes the acknowledged path (no hedges, no spool): the count then measures the
            work of a grant that a cluster acknowledges, which is what nearly every grant is.
            --raw produces the same number of records of the event's size straight through
            KafkaProducer, with as many in flight as --callers, for the baseline.
            """,
        version: RewardVersion.current)

    @Option(help: "Grants (or raw records) to make.")
    var grants = 10_000

    @Option(help: "Concurrent callers of sendBonus (raw: records in flight).")
    var callers = 2_000

    @Flag(help: "Produce raw records through KafkaProducer instead of calling sendBonus.")
    var raw = false

    @Option(help: "The reward type catalog.")
    var catalog = "ops/config/reward-types.json"

    func run() throws {
        let finished = DispatchSemaphore(value: 0)
        let failure = Mutex<(any Error)?>(nil)
        let options = self
        Task {
            do {
                try await options.measure()
            } catch {
                failure.withLock { $0 = error }
            }
            finished.signal()
        }
        finished.wait()
        if let error = failure.withLock({ $0 }) { throw error }
    }

    private func measure() async throws {
        var logger = Logger(label: "reward-grant-cost")
        logger.logLevel = .error
        let host = try DevKafkaHost(brokers: 3, logger: logger)
        for cluster in host.clusters {
            for lane in Lane.allCases {
                try cluster.createTopic("reward-\(lane.rawValue)", partitions: 12, replicationFactor: 3)
            }
        }
        let keyRing = try TokenKeyRing(keys: [1: (0..<32).map { UInt8($0) }], currentKeyID: 1)
        if raw {
            let producers = try host.clusters.map { cluster in
                var configuration = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
                configuration.statisticsInterval = nil
                return try KafkaProducer(configuration: configuration, logger: logger)
            }
            let acknowledged = await RawRecords.produce(grants, window: callers, payloadSize: CostGrants.payloadSize(keyRing: keyRing),
                                                        producers: producers)
            for producer in producers { await producer.shutdown() }
            print("raw records acknowledged: \(acknowledged) of \(grants)")
        } else {
            let spool = NSTemporaryDirectory() + "reward-grant-cost-\(UInt32.random(in: 0...UInt32.max))"
            defer { try? FileManager.default.removeItem(atPath: spool) }
            var configuration = RewardClientConfiguration(
                clusters: host.clusters.map { .init(name: ClusterName(rawValue: $0.name), bootstrapServers: [$0.bootstrapServers]) },
                catalog: try RewardCatalog.load(from: catalog), keyRing: keyRing, spoolDirectory: spool)
            configuration.delivery.promise = .seconds(60)
            configuration.delivery.budget = .seconds(50)
            configuration.delivery.hedgeFloor = .seconds(25)
            let registry = PrometheusCollectorRegistry()
            let client = try await RewardClient(configuration: configuration, logger: logger,
                                                metrics: PrometheusMetricsFactory(registry: registry))
            try await client.start(timeout: .seconds(60))
            let failures = await CostGrants.grant(grants, callers: callers, client: client)
            await client.shutdown()
            print("grants: \(grants), failed \(failures), spool depth \(client.spoolDepth)")
        }
        host.shutdown()
    }
}
