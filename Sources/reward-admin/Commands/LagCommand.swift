import ArgumentParser
import Foundation
import RewardCore
import RewardOps
import RewardSettlement

struct LagCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lag",
        abstract: "Committed offset, log end and lag per partition; time to drain per lane and reward type.",
        discussion: """
            The ETA of a lane (or, with --by-type, of each reward type) is its lag on every partition of every
            cluster reported, over the rate it is actually getting: the claims it credited in the last --window
            seconds, or its fleet rate (rate-limits file) while it credits nothing.
            """)

    @Option(help: "Cluster name in the cluster directory (default: every cluster, which the ETA needs: the rate is the fleet's).")
    var cluster: String?

    @Option(help: "Only this lane topic (default: every main lane topic of the cluster).")
    var topic: String?

    @Flag(help: "Read the records behind each group and split the lag by reward type.")
    var byType = false

    @Option(help: "With --by-type: records read per partition at most (the rest is estimated from them).")
    var sample = 100_000

    @Option(help: "Seconds of recent credits that measure each type's rate.")
    var window = 30

    @Flag(help: "Print JSON: {\"partitions\": [...], \"lanes\": [...]}.")
    var json = false

    @Option(help: "Cluster directory file (default: REWARD_KAFKA_CLUSTERS or .local/kafka-clusters.json).")
    var clustersFile: String?

    @Option(help: "Folder with one subfolder of topic files per cluster.")
    var topicsDirectory = "topics"

    struct Output: Encodable {
        var partitions: [LagRow]
        var lanes: [LaneETA]
    }

    func run() async throws {
        guard sample > 0 else { throw ValidationError("--sample must be positive") }
        guard window > 0 else { throw ValidationError("--window must be positive") }
        let context = try await CommandContext.make()
        let directory = try context.clusterDirectory(clustersFile)
        let names = cluster.map { [ClusterName(rawValue: $0)] } ?? directory.clusters.keys.sorted().map(ClusterName.init(rawValue:))
        var rows: [LagRow] = []
        for name in names {
            let definitions = try TopicDefinition.load(directory: topicsDirectory, cluster: name)
            var topics = definitions.filter { $0.role == .main }.map { (name: $0.name, lane: $0.lane) }
            if let topic {
                let lane = try context.laneTopics(cluster: name, topic: topic, directory: topicsDirectory).lane
                topics = [(topic, lane)]
            }
            rows += try await LagReporter(connection: try directory.connection(name), cluster: name, logger: context.logger)
                .report(topics: topics.sorted { $0.name < $1.name }, byType: byType, sampleLimit: sample)
        }
        let catalog = try RewardCatalog.load(from: context.config.string(forKey: "catalog.path", default: "ops/config/reward-types.json"))
        let rates = try RateLimitConfiguration.load(from: context.config.string(forKey: "rates.path", default: "ops/config/rate-limits.json"))
        let pool = try context.databasePool()
        let measured = try await CreditRates.measure(pool: pool, window: .seconds(window))
        await pool.shutdown()
        let lanes = LaneETA.estimate(rows: rows, catalog: catalog, measured: measured, fleetRates: rates.rates)
        if json { return print(try JSONOutput.string(Output(partitions: rows, lanes: lanes))) }

        var table = TextTable(["CLUSTER", "TOPIC", "PARTITION", "GROUP", "TYPE", "COMMITTED", "END", "LAG"])
        for r in rows {
            table.add([r.cluster, r.topic, "\(r.partition)", r.group, r.rewardType, r.committed.map(String.init) ?? "-", "\(r.end)",
                       "\(r.lag)"])
        }
        print(table.text)
        var etas = TextTable(["LANE", "TYPE", "LAG", "RATE/S", "RATE FROM", "ETA"])
        for e in lanes {
            etas.add([e.lane, e.rewardType, "\(e.lag)", e.rate.map { Formatting.fixed($0, 1) } ?? "-", e.rateSource.rawValue,
                      e.etaSeconds.map { Formatting.duration(seconds: $0) } ?? "-"])
        }
        print("\ntime to drain, lag of clusters \(names.map(\.rawValue).joined(separator: ",")) (rate: credits in the last \(window) s, "
              + "else the fleet rate):")
        print(etas.text)
        if let cluster, directory.clusters.count > 1 {
            print("note: only cluster \(cluster)'s lag is counted; the rate is shared with the other clusters' lag (omit --cluster)")
        }
        for name in names {
            let total = rows.filter { $0.cluster == name.rawValue && $0.rewardType == "*" }.reduce(Int64(0)) { $0 + $1.lag }
            print("lag: \(total) records behind on cluster \(name.rawValue)")
        }
    }
}
