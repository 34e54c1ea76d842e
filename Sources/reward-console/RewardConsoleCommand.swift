import ArgumentParser
import Configuration
import Foundation
import Logging
import MariaDB
import RewardConsole
import RewardCore
import RewardOps
import RewardRuntime
import ServiceLifecycle

/// The on-call's web page for the night: lag and drain times, rates, consumers, dead letters,
/// budgets, reconciliation and the switches, behind an operator sign-in.
@main
struct RewardConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reward-console",
        abstract: "Serve the on-call's web page (server-rendered HTML; operators sign in).",
        discussion: """
            Settings: REWARD_* environment variables over the JSON file named by REWARD_CONFIG: db.*, kafka.clusters,
            catalog.path, rates.path, tokens.* (a replay preview verifies with them), console.operatorsFile (required:
            {"operators": {"name": "token"}}), console.host, console.port, console.daemons (name=http://…/metrics,…),
            console.secureCookies, console.sessionHours, console.lagSample, console.creditWindowSeconds, console.maxReplays,
            console.metricsPort. SIGTERM finishes the requests in flight and exits 0.
            """,
        version: RewardVersion.current)

    @Option(help: "Port of the page (default: console.port, else 8090; 0 picks a free one).")
    var port: Int?

    @Option(help: "Port for the console's own /metrics and /healthz (default: console.metricsPort, else any free port).")
    var metricsPort: Int?

    @Option(help: "Folder of topic declarations.")
    var topicsDirectory = "topics"

    func run() async throws {
        ProcessLogging.bootstrapOnce(defaultLevel: .info)
        let registry = ProcessMetrics.bootstrapOnce()
        let logger = Logger(label: "reward-console")
        let config = try await RewardConfiguration.reader()
        var console = try ConsoleConfiguration(config: config)
        if let port { console.port = port }

        let pool = MariaDBPool(configuration: MariaDBConfiguration(config: config.scoped(to: "db")), logger: logger)
        let sources = ConsoleSources(
            pool: pool, clustersPath: config.string(forKey: "kafka.clusters", default: ClusterDirectory.defaultPath),
            topicsDirectory: topicsDirectory,
            catalog: try RewardCatalog.load(from: config.string(forKey: "catalog.path", default: "ops/config/reward-types.json")),
            rateLimitsPath: config.string(forKey: "rates.path", default: "ops/config/rate-limits.json"),
            keyRing: try TokenKeyRing(config: config), logger: logger)
        let host = console.host
        let server = ConsoleServer(configuration: console, sources: sources, logger: logger) { port in
            FileHandle.standardOutput.write(Data("reward-console: listening on http://\(host):\(port)\n".utf8))
        }
        let operations = OperationsServer(
            port: metricsPort ?? config.int(forKey: "console.metricsPort", default: 0), registry: registry, logger: logger,
            health: {
                let database = (try? await pool.query("SELECT 1 AS ok")) != nil
                return (database, ["database": database ? "ok" : "unreachable"])
            })
        // Reverse order on shutdown: the page stops before its own metrics server.
        let group = ServiceGroup(services: [operations, server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        do {
            try await group.run()
        } catch {
            logger.critical("reward-console stopped", metadata: ["error": "\(error)"])
            await pool.shutdown()
            throw error
        }
        await pool.shutdown()
    }
}
