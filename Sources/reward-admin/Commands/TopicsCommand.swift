import ArgumentParser
import RewardCore
import RewardOps

struct TopicsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics",
        abstract: "Make a cluster hold the topics declared in topics/.",
        subcommands: [Apply.self])

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create missing topics and report those that differ; safe to repeat.")

        @Option(help: "Cluster name as in the cluster directory (A or B).")
        var cluster: String

        @Option(help: "Folder with one subfolder of topic files per cluster.")
        var directory = "topics"

        @Option(help: "Cluster directory file (default: REWARD_KAFKA_CLUSTERS or .local/kafka-clusters.json).")
        var clustersFile: String?

        @Flag(help: "Show what would be created without creating it.")
        var dryRun = false

        func run() async throws {
            let context = try await CommandContext.make()
            let name = ClusterName(rawValue: cluster)
            let definitions = try TopicDefinition.load(directory: directory, cluster: name)
            let administration = try context.clusterDirectory(clustersFile).topicAdministration(name, logger: context.logger)
            let items = try await TopicApplier(administration: administration).apply(definitions, dryRun: dryRun)
            var differing = 0
            for item in items {
                let topic = item.definition.name.padding(toLength: 22, withPad: " ", startingAt: 0)
                switch item.outcome {
                case .created: print("\(topic) \(dryRun ? "would create" : "created") (\(item.definition.partitions) partitions)")
                case .matches: print("\(topic) ok")
                case .matchesExceptUncheckedConfigs: print("\(topic) ok (configs not checked: the cluster cannot describe them)")
                case .differs(let differences):
                    differing += 1
                    print("\(topic) DIFFERS: \(differences.joined(separator: "; "))")
                }
            }
            if differing > 0 {
                print("topics: \(differing) topic(s) differ from their files; nothing was changed on them")
                throw ExitCode(2)
            }
        }
    }
}
