import RewardCore
import RewardOps

/// Where `reconcile --scan-topics` finds the lane topics: every cluster of the directory, each
/// cluster's main lane topics from the topic declarations.
struct GrantLogOptions {
    var clustersFile: String?
    var topicsDirectory: String

    func scan(context: CommandContext, wiring: SettlementWiring) throws -> GrantLogScan {
        let directory = try context.clusterDirectory(clustersFile)
        var sources: [GrantLogScan.Source] = []
        for name in directory.clusters.keys.sorted() {
            let cluster = ClusterName(rawValue: name)
            let topics = try TopicDefinition.load(directory: topicsDirectory, cluster: cluster)
                .filter { $0.role == .main }.map { (name: $0.name, lane: $0.lane) }.sorted { $0.name < $1.name }
            sources.append(GrantLogScan.Source(cluster: cluster, connection: try directory.connection(cluster),
                                               topics: topics))
        }
        return GrantLogScan(sources: sources, catalog: wiring.catalog, keyRing: wiring.keyRing, logger: context.logger)
    }
}
