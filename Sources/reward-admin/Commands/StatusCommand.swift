import ArgumentParser
import Kafka
import MariaDB
import RewardCore
import RewardOps

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Report whether the database and the Kafka clusters answer, and what they hold.")

    @Option(help: "Cluster directory file (default: REWARD_KAFKA_CLUSTERS or .local/kafka-clusters.json).")
    var clustersFile: String?

    @Option(help: "Folder of migrations to compare against.")
    var migrations = "migrations"

    func run() async throws {
        let context = try await CommandContext.make()
        var healthy = true

        let pool = try context.databasePool()
        do {
            let files = try MigrationFile.load(directory: migrations)
            let applied = try await MigrationRunner(pool: pool, logger: context.logger).appliedVersions()
            let pending = files.filter { applied[$0.version] == nil }
            print("database: up, \(applied.count) migrations applied, \(pending.count) pending")
            if !pending.isEmpty { healthy = false }
        } catch {
            print("database: DOWN (\(error))")
            healthy = false
        }
        await pool.shutdown()

        do {
            let directory = try context.clusterDirectory(clustersFile)
            for name in directory.clusters.keys.sorted() {
                let entry = directory.clusters[name]!
                do {
                    let admin = try KafkaAdmin(connection: try directory.connection(ClusterName(rawValue: name)), requestTimeout: .seconds(5),
                                               logger: context.logger)
                    let topics = try await admin.describeTopics()
                    let summary = topics.map { "\($0.name)(\($0.partitions.count))" }.joined(separator: " ")
                    print("kafka \(name): up at \(entry.bootstrapServers), \(topics.count) topics \(summary)")
                } catch {
                    print("kafka \(name): DOWN at \(entry.bootstrapServers) (\(error))")
                    healthy = false
                }
            }
        } catch {
            print("kafka: no cluster directory (\(error))")
            healthy = false
        }
        if !healthy { throw ExitCode(1) }
    }
}
