import ArgumentParser
import RewardCore
import RewardOps
import RewardSettlement

struct LagCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lag",
        abstract: "Committed offset, log end, lag and time to drain per lane topic, partition, group and reward type.")

    @Option(help: "Cluster name in the cluster directory (A or B).")
    var cluster: String

    @Option(help: "Only this lane topic (default: every main lane topic of the cluster).")
    var topic: String?

    @Flag(help: "Read the records behind each group and split the lag by reward type.")
    var byType = false

    @Option(help: "With --by-type: records read per partition at most (the rest is estimated from them).")
    var sample = 100_000

    @Flag(help: "Print JSON.")
    var json = false

    @Option(help: "Cluster directory file (default: REWARD_KAFKA_CLUSTERS or .local/kafka-clusters.json).")
    var clustersFile: String?

    @Option(help: "Folder with one subfolder of topic files per cluster.")
    var topicsDirectory = "topics"

    func run() async throws {
        guard sample > 0 else { throw ValidationError("--sample must be positive") }
        let context = try await CommandContext.make()
        let name = ClusterName(rawValue: cluster)
        let definitions = try TopicDefinition.load(directory: topicsDirectory, cluster: name)
        var topics = definitions.filter { $0.role == .main }.map { (name: $0.name, lane: $0.lane) }
        if let topic {
            let lane = try context.laneTopics(cluster: name, topic: topic, directory: topicsDirectory).lane
            topics = [(topic, lane)]
        }
        let catalog = try RewardCatalog.load(from: context.config.string(forKey: "catalog.path", default: "ops/config/reward-types.json"))
        let rates = try RateLimitConfiguration.load(from: context.config.string(forKey: "rates.path", default: "ops/config/rate-limits.json"))
        let entry = try context.clusterDirectory(clustersFile).entry(name)
        let rows = try await LagReporter(bootstrapServers: entry.bootstrapServerList, cluster: name, catalog: catalog, rates: rates.rates,
                                         logger: context.logger)
            .report(topics: topics.sorted { $0.name < $1.name }, byType: byType, sampleLimit: sample)
        if json { return print(try JSONOutput.string(rows)) }
        var table = TextTable(["TOPIC", "PARTITION", "GROUP", "TYPE", "COMMITTED", "END", "LAG", "ETA"])
        for r in rows {
            table.add([r.topic, "\(r.partition)", r.group, r.rewardType, r.committed.map(String.init) ?? "-", "\(r.end)", "\(r.lag)",
                       r.etaSeconds.map { Formatting.duration(seconds: $0) } ?? "-"])
        }
        print(table.text)
        let total = rows.filter { $0.rewardType == "*" }.reduce(Int64(0)) { $0 + $1.lag }
        print("lag: \(total) records behind on cluster \(cluster)")
    }
}
