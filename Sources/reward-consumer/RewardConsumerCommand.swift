import ArgumentParser
import Configuration
import Foundation
import Kafka
import Logging
import MariaDB
import Metrics
import RewardConsumer
import RewardCore
import RewardOps
import RewardRuntime
import RewardSettlement
import RewardStores
import ServiceLifecycle

/// One lane consumer process: `reward-consumer --cluster A --topic reward-cash`. Run as many
/// instances of one (cluster, topic) as needed; they share the lane's consumer group, and the
/// configured rates are split across every instance of the lane (both clusters).
@main
struct RewardConsumerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reward-consumer",
        abstract: "Settle one lane topic of one cluster, at the pace each ledger can take.",
        discussion: """
            Settings: REWARD_* environment variables over the JSON file named by REWARD_CONFIG
            (db.*, kafka.clusters, catalog.path, rates.path, tokens.*, ledgers.<name>.url,
            consumer.metricsHost, consumer.metricsPort, consumer.stallSeconds, consumer.databaseGraceSeconds;
            clock.offsetMilliseconds skews this process's wall clock, in development
            mode only, for the chaos harness). SIGTERM stops fetching, finishes settling batches, commits and exits 0.
            """,
        version: RewardVersion.current)

    @Option(help: "Cluster name in the cluster directory (A or B).")
    var cluster: String

    @Option(help: "The lane's main topic, as declared in topics/<cluster>/ (reward-cash or reward-goods).")
    var topic: String

    @Option(help: "Folder of topic declarations.")
    var topicsDirectory = "topics"

    @Option(help: "Port for /metrics and /healthz (default: consumer.metricsPort, else any free port).")
    var metricsPort: Int?

    @Option(help: "Address /metrics, /healthz and /readyz listen on (default: consumer.metricsHost, else 127.0.0.1; 0.0.0.0 for every interface).")
    var metricsHost: String?

    @Option(help: "This instance's name in the fleet's rate leases (default: host name and pid; a random suffix is added).")
    var instanceID: String?

    func run() async throws {
        ProcessLogging.bootstrapOnce(defaultLevel: .info)
        let registry = ProcessMetrics.bootstrapOnce()
        let logger = Logger(label: "reward-consumer.\(cluster).\(topic)")
        let config = try await RewardConfiguration.reader()
        if let offset = try ClockOffset(config: config) {
            WallClock.skew(by: offset)
            logger.warning("running with a skewed wall clock (development only)", metadata: ["offsetMilliseconds": "\(offset.milliseconds)"])
        }
        // Settings of this process's own surface first: a mistake there stops it before it connects.
        let host = try BindHost(metricsHost ?? config.string(forKey: "consumer.metricsHost", default: "127.0.0.1"),
                                setting: "--metrics-host / consumer.metricsHost (REWARD_CONSUMER_METRICS_HOST)")
        let healthSettings = try ConsumerHealth.Settings(config: config)
        let wiring = try await ConsumerWiring(cluster: ClusterName(rawValue: cluster), topic: topic,
                                              topicsDirectory: topicsDirectory, config: config, logger: logger)
        let instance = instanceID ?? "\(ProcessInfo.processInfo.hostName)-\(getpid())"
        let coordinator = RateShareCoordinator(
            configuration: {
                var configuration = RateShareCoordinator.Configuration(instanceID: instance)
                configuration.scope = "lane-\(wiring.lane.rawValue)"
                return configuration
            }(),
            pool: wiring.stores.coordination, limiter: wiring.limiter, logger: logger, metrics: MetricsSystem.factory)
        let lane = wiring.laneConsumer
        let health = ConsumerHealth(lane: lane, pool: wiring.healthPool, settings: healthSettings,
                                    identity: ["lane": "\(wiring.lane)", "cluster": wiring.cluster.rawValue, "instance": instance])
        let server = OperationsServer(
            host: host.address, port: metricsPort ?? config.int(forKey: "consumer.metricsPort", default: 0), registry: registry, logger: logger,
            health: { health.health() }, readiness: { health.readiness() },
            onListening: { port in
                // Unbuffered, so a supervisor reading the log or pipe sees the port at once.
                FileHandle.standardOutput.write(Data("reward-consumer: \(wiring.cluster)/\(wiring.topics.main) metrics on \(host):\(port)\n".utf8))
            })
        let watcher = RateFileWatcher(path: wiring.ratesPath, rates: wiring.rates, logger: logger)
        let controls = ControlService(
            watcher: ControlWatcher(store: wiring.controls, logger: logger) { state, _ in wiring.rates.controlsChanged(state.fleetRates) },
            logger: logger)
        // Graceful shutdown runs in reverse order: the lane stops first, the coordinator last.
        let group = ServiceGroup(
            services: [coordinator, controls, watcher, health, server, lane],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        do {
            try await group.run()
        } catch {
            logger.critical("lane stopped", metadata: ["error": "\(error)"])
            await wiring.shutdown()
            throw error
        }
        await wiring.shutdown()
    }
}
