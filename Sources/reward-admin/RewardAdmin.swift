import ArgumentParser
import RewardCore

/// The on-call engineer's tool: schema, topics, dev clusters, and (later) drains and reconciliation.
@main
struct RewardAdmin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reward-admin",
        abstract: "Operate the reward pipeline: schema, topics, dev clusters, status, drains, reconciliation, dead letters, budgets, group offsets.",
        discussion: """
            Settings come from REWARD_* environment variables and the JSON file named by REWARD_CONFIG
            (for example REWARD_DB_HOST, REWARD_DB_PORT, REWARD_DB_NAME; REWARD_KAFKA_CLUSTERS for the
            cluster directory file). Commands that change something print what they did.
            """,
        version: RewardVersion.current,
        subcommands: [
            MigrateCommand.self, TopicsCommand.self, DevKafkaCommand.self, StatusCommand.self, DownstreamSimCommand.self,
            DrainCommand.self, DrainSpoolCommand.self, ReconcileCommand.self, DeadLetterCommand.self, BudgetCommand.self, ControlCommand.self,
            LagCommand.self, OffsetsCommand.self, TokenCommand.self,
        ]
    )
}
