import ArgumentParser

/// Load generator for the whole path, one subcommand per stage (`sdk` now; `settle` and
/// `withdraw` later). Each subcommand measures against a baseline taken in the same run and
/// prints the ratio on its last line.
@main
struct RewardBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reward-bench",
        abstract: "Benchmark the reward pipeline (build with -c release).",
        subcommands: [SDKBenchCommand.self])
}
