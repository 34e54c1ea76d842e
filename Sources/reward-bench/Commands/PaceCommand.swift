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
            per 100 ms slice by arrival, as in ops/demo), produces rate x --seconds events per type, then starts --instances consumers
            per lane on each cluster (reward-consumer, next to this binary) and waits until every event is
            credited. Two scenarios: the backlog split over A and B, and on B only (A's consumers idle).
            Per type: ideal time (backlog / fleet rate), actual time from the consumers' start and from the first
            credit, efficiency = ideal / actual, the busiest 100 ms slice the partner saw (by the senders'
            stamps) against its limit, and 429s. Efficiency from the start includes the consumers' group joins.
            """)

    @Option(help: "Backlog of each type, in seconds of its fleet rate.")
    var seconds = 8.0

    @Option(help: "Reward types to drain (comma-separated); each needs a rate in --rates. Default: the partner type.")
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

    func validate() throws {
        guard seconds > 0, instances > 0, timeout > 0 else { throw ValidationError("--seconds, --instances and --timeout must be positive") }
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
        try await BenchDatabase.with(migrations: migrations, maxConnections: 4, logger: logger) { database in
            for (name, onClusters) in [("A and B", ["A", "B"]), ("B only", ["B"])] where !bOnly || name == "B only" {
                let run = PaceRun(plan: plan, clusters: clusters, onClusters: onClusters, database: database, instances: instances,
                                  topicsDirectory: topicsDirectory, ratesPath: rates, catalogPath: catalog, logLevel: consumerLogLevel, logs: logs,
                                  logger: logger)
                let results = try await run.measure(timeout: .seconds(timeout))
                PaceReport.print(scenario: name, results)
            }
        }
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
