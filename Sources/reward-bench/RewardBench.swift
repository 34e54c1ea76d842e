import ArgumentParser
import RewardCore

/// Load and throughput runs over the whole path, one subcommand per stage. Each measures against
/// a baseline taken in the same run and prints the ratio on its last line. Not tests: the numbers
/// depend on the machine (build with -c release).
@main
struct RewardBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reward-bench",
        abstract: "Measure the reward pipeline against raw baselines from the same run (build with -c release).",
        discussion: """
            Settings come from REWARD_* environment variables and the JSON file named by REWARD_CONFIG
            (REWARD_DB_HOST, REWARD_DB_PORT, REWARD_DB_USER, REWARD_DB_PASSWORD). Benchmarks that need a
            database create their own and drop it afterwards.
            """,
        version: RewardVersion.current,
        subcommands: [SDKBenchCommand.self, SettleCommand.self, WithdrawCommand.self, RainCommand.self, PaceCommand.self, ChaosCommand.self]
    )
}
