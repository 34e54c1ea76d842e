import Configuration
import Foundation
import Kafka
import Logging
import MariaDB
import RewardCore
import RewardOps

/// What every subcommand needs: logging, settings, and clients built from them.
struct CommandContext {
    let logger: Logger
    let config: ConfigReader

    static func make(label: String = "reward-admin") async throws -> CommandContext {
        ProcessLogging.bootstrapOnce(defaultLevel: .info)
        return CommandContext(logger: Logger(label: label), config: try await RewardConfiguration.reader())
    }

    func databasePool() throws -> MariaDBPool {
        MariaDBPool(configuration: MariaDBConfiguration(config: config.scoped(to: "db")), logger: logger)
    }

    func clusterDirectory(_ path: String?) throws -> ClusterDirectory {
        try ClusterDirectory.load(from: path ?? config.string(forKey: "kafka.clusters", default: ClusterDirectory.defaultPath))
    }
}
