import ArgumentParser
import Foundation
import Metrics
import RewardCore
import RewardSDK

/// `reward-admin drain-spool`: sends what a dead host's SDK spooled to the clusters.
///
/// The spool holds grants the SDK answered but no cluster acknowledged. Replaying them through the
/// SDK's own replayer (the path a restarted process takes) puts them on the lane topics, where the
/// consumers settle them like any other event, idempotent by order id; a grant that did reach a
/// cluster after all is only a duplicate there.
struct DrainSpoolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain-spool",
        abstract: "Replay an SDK spool a dead host left behind to the clusters (preview unless --execute).",
        discussion: """
            Copy the dead host's spool directory here (or mount it); never point this at the spool of
            a running process (the directory lock refuses that). Clusters, weights and the catalog come
            from the sdk.* settings. Exit status: 0 all replayed, 3 records left (no cluster took them in time).
            """)

    @Option(help: "The spool directory (holds segment-*.log and spool.lock).")
    var directory: String

    @Option(help: "Seconds to wait for the clusters to acknowledge everything.")
    var timeout = 600

    @Flag(help: "Replay; without it only the count is shown.")
    var execute = false

    func validate() throws {
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    func run() async throws {
        let context = try await CommandContext.make()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("spool_missing: \(directory) is not a directory")
        }
        let pending = try await SpoolInspection.pendingGrants(directory: directory, logger: context.logger)
        guard execute else {
            print("\(directory): \(pending) grants no cluster acknowledged; --execute replays them to the clusters")
            return
        }
        guard pending > 0 else {
            print("\(directory): nothing to replay")
            return
        }
        var configuration = try RewardClientConfiguration(config: context.config)
        configuration.spool.directory = directory
        let client = try await RewardClient(configuration: configuration, logger: context.logger, metrics: NOOPMetricsHandler.instance)
        let left = await client.waitForSpoolReplay(within: .seconds(timeout)) { left in
            print("replaying: \(pending - left)/\(pending) acknowledged")
        }
        await client.shutdown()
        print("drain-spool: \(pending - left) of \(pending) grants replayed to the clusters; \(left) left in \(directory)")
        if left > 0 { throw ExitCode(3) }
    }
}
