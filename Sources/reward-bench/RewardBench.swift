import ArgumentParser

/// Load and throughput runs over the whole path; each reports a ratio against a baseline measured
/// in the same run. Not tests: numbers depend on the machine.
@main
struct RewardBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reward-bench",
        abstract: "Measure the reward pipeline against raw baselines from the same run.",
        discussion: """
            Settings come from REWARD_* environment variables and the JSON file named by REWARD_CONFIG
            (REWARD_DB_HOST, REWARD_DB_PORT, REWARD_DB_USER, REWARD_DB_PASSWORD). Benchmarks that need a
            database create their own and drop it afterwards.
            """,
        subcommands: [SettleCommand.self]
    )
}
