import ArgumentParser
import Configuration
import Foundation
import Logging
import RewardCore
import RewardOps
import RewardSettlement

/// `reward-bench pace`: how close the fleet gets to each downstream's rate while it drains a backlog.
struct PaceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pace",
        abstract: "Drain a backlog per reward type with real consumer processes and report efficiency against each fleet rate.",
        discussion: """
            Needs the dev stack (ops/dev-up, then source .local/env): its clusters and MariaDB. Makes a fresh
            database, runs the partner ledger simulator in-process (429 beyond 110% of the partner's fleet rate
            per 100 ms slice by arrival, as in ops/demo), starts --instances consumers per lane on each cluster
            (reward-consumer, next to this binary), warms them up (a record into every partition, credited, twice),
            then produces rate x --seconds events per type at once and waits until every event is credited. Two
            scenarios: the backlog split over A and B, and on B only (A's consumers idle). Per type: ideal time
            (backlog / fleet rate), actual time from the backlog's arrival and from the first credit, efficiency =
            ideal / actual, the busiest 100 ms slice the partner saw (by the senders' stamps) against its limit,
            and 429s.
            """)

    @Option(help: "Backlog of each type, in seconds of its fleet rate.")
    var seconds = 8.0

    @Option(help: "Reward types to drain (comma-separated); each needs a rate in --rates. Default: the partner type; empty: none (with --overhead).")
    var types = "prize_partner"

    @Option(help: "Consumer processes per lane per cluster.")
    var instances = 2

    @Option(help: "The fleet rates (also given to the consumers).")
    var rates = "ops/config/rate-limits.json"

    @Option(help: "The reward catalog.")
    var catalog = "ops/config/reward-types.json"

    @Option(help: "Folder of topic declarations.")
    var topicsDirectory = "topics"

    @Option(help: "Folder of the migrations.")
    var migrations = "migrations"

    @Option(help: "Seconds to wait for a scenario's backlog to be credited.")
    var timeout = 300

    @Option(help: "The consumers' log level (info shows their fleet share changes).")
    var consumerLogLevel = "warning"

    @Flag(help: "Only the scenario with the backlog on B alone.")
    var bOnly = false

    @Option(help: ArgumentHelp(
        "Consumer overhead: also drain this many events of types no limit binds (cash and coupons, half each, on A and B), "
            + "and settle as many through the engine alone in this process; 0 skips it.",
        discussion: "The last line is then consumers' credits/s against the engine's."))
    var overhead = 0

    func validate() throws {
        guard seconds > 0, instances > 0, timeout > 0 else { throw ValidationError("--seconds, --instances and --timeout must be positive") }
        guard (0...10_000_000).contains(overhead) else { throw ValidationError("--overhead: 0 to 10,000,000 events") }
    }

    func run() async throws {
        ProcessLogging.bootstrapOnce(defaultLevel: .warning)
        let logger = Logger(label: "reward-bench")
        let rateConfiguration = try RateLimitConfiguration.load(from: rates)
        let rewardCatalog = try RewardCatalog.load(from: catalog)
        var plan: [PaceType] = []
        for id in types.split(separator: ",").map({ String($0).trimmingCharacters(in: .whitespaces) }) {
            guard let type = rewardCatalog.types[id] else { throw ValidationError("\(id) is not in \(catalog)") }
            guard let rate = rateConfiguration.rates[id], rate > 0 else { throw ValidationError("\(id) has no rate in \(rates)") }
            plan.append(PaceType(id: id, lane: type.lane, rate: rate, backlog: max(1, Int(rate * seconds)), http: type.ledger.hasPrefix("http:")))
        }
        let clusters = try ClusterDirectory.load(from: try await RewardConfiguration.reader().string(forKey: "kafka.clusters",
                                                                                                      default: ClusterDirectory.defaultPath))
        let logs = FileManager.default.temporaryDirectory.appendingPathComponent("reward-bench-pace-\(getpid())")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        print("pace: \(plan.map { "\($0.id) \(Int($0.rate))/s x \(seconds) s = \($0.backlog)" }.joined(separator: ", ")); "
              + "\(instances) consumers per lane per cluster; consumer logs in \(logs.path)")
        try await BenchDatabase.with(migrations: migrations, maxConnections: overhead > 0 ? 26 : 4, logger: logger) { database in
            for (name, onClusters) in [("A and B", ["A", "B"]), ("B only", ["B"])] where !plan.isEmpty && (!bOnly || name == "B only") {
                let run = PaceRun(plan: plan, clusters: clusters, onClusters: onClusters, database: database, instances: instances,
                                  topicsDirectory: topicsDirectory, ratesPath: rates, catalogPath: catalog, logLevel: consumerLogLevel, logs: logs,
                                  logger: logger)
                let results = try await run.measure(timeout: .seconds(timeout))
                PaceReport.print(scenario: name, results)
            }
            if overhead > 0 {
                try await measureOverhead(database: database, rewardCatalog: rewardCatalog, clusters: clusters, logs: logs, logger: logger)
            }
        }
    }
}

extension PaceCommand {
    /// The fleet drains `overhead` events of unbound types; then the engine alone settles as many.
    private func measureOverhead(database: BenchDatabase, rewardCatalog: RewardCatalog, clusters: ClusterDirectory, logs: URL,
                                 logger: Logger) async throws {
        let plan = PaceOverhead.types.enumerated().map { index, type in
            PaceType(id: type.id, lane: type.lane, rate: 1, backlog: overhead / 2 + (index == 0 ? overhead % 2 : 0), http: false)
        }
        let run = PaceRun(plan: plan, clusters: clusters, onClusters: ["A", "B"], database: database, instances: instances,
                          topicsDirectory: topicsDirectory, ratesPath: rates, catalogPath: catalog, logLevel: consumerLogLevel, logs: logs,
                          logger: logger)
        let results = try await run.measure(timeout: .seconds(timeout))
        let credited = results.map(\.credited).reduce(0, +)
        let span = results.map(\.fromFirstCredit).max() ?? 0
        let fleet = Double(credited) / max(0.001, span)
        for result in results {
            Swift.print(String(format: "  %@: %d credited in %.1f s from the first credit = %.0f credits/s", result.type.id, result.credited,
                               result.fromFirstCredit, Double(result.credited) / max(0.001, result.fromFirstCredit)))
        }
        Swift.print(String(format: "overhead [A and B, %d consumers per lane per cluster]: %d credited in %.1f s = %.0f credits/s",
                           instances, credited, span, fleet))
        let engine = try await PaceOverhead(database: database, catalog: rewardCatalog, logger: logger).engineRate(count: overhead)
        let engineRate = Double(engine.credited) / max(0.001, engine.seconds)
        Swift.print(String(format: "engine alone (this process, batches of 500, 8 at once): %d credited in %.1f s = %.0f settlements/s",
                           engine.credited, engine.seconds, engineRate))
        Swift.print(String(format: "ratio consumers/engine: %.2f", engineRate > 0 ? fleet / engineRate : 0))
    }
}

/// One reward type of a pace run.
struct PaceType: Sendable {
    var id: String
    var lane: Lane
    var rate: Double
    var backlog: Int
    var http: Bool
}
