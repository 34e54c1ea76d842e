import ArgumentParser
import Foundation
import Metrics
import RewardCore
import RewardOps
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
            --list shows each segment and quarantine file (records a cluster refused for good, segments
            kept because part of them could not be read) with its record count and why; it only reads,
            so it also works on a live process's spool.
            """)

    @Option(help: "The spool directory (holds segment-*.log and spool.lock).")
    var directory: String

    @Option(help: "Seconds to wait for the clusters to acknowledge everything.")
    var timeout = 600

    @Flag(help: "Replay; without it only the count is shown.")
    var execute = false

    @Flag(help: "List the segments and quarantined files with record counts and reasons (changes nothing).")
    var list = false

    @Flag(help: "With --list: print JSON.")
    var json = false

    func validate() throws {
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        guard !(list && execute) else { throw ValidationError("--list and --execute exclude each other") }
        guard !json || list else { throw ValidationError("--json goes with --list") }
    }

    func run() async throws {
        let context = try await CommandContext.make()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("spool_missing: \(directory) is not a directory")
        }
        if list { return try await printList() }
        let pending = try await SpoolInspection.pendingGrants(directory: directory, logger: context.logger)
        guard execute else {
            print("\(directory): \(pending) grants no cluster acknowledged; --execute replays them to the clusters")
            return
        }
        guard pending > 0 else {
            print("\(directory): nothing to replay")
            return
        }
        let quarantinedBefore = try await Self.refusedRecords(directory)
        var configuration = try RewardClientConfiguration(config: context.config)
        configuration.spool.directory = directory
        let client = try await RewardClient(configuration: configuration, logger: context.logger, metrics: NOOPMetricsHandler.instance)
        let left = await client.waitForSpoolReplay(within: .seconds(timeout)) { left in
            print("replaying: \(pending - left)/\(pending) acknowledged or quarantined")
        }
        await client.shutdown()
        let quarantined = try await Self.refusedRecords(directory) - quarantinedBefore
        var summary = "drain-spool: \(pending - left - quarantined) of \(pending) grants replayed to the clusters;"
            + " \(left) left in \(directory)"
        if quarantined > 0 { summary += "; \(quarantined) refused by a cluster for good and quarantined (see --list)" }
        print(summary)
        if left > 0 { throw ExitCode(3) }
    }

    /// Records in the quarantine that a cluster refused.
    private static func refusedRecords(_ directory: String) async throws -> Int {
        try await SpoolInspection.list(directory: directory).filter { $0.kind == .refused }.reduce(0) { $0 + $1.records }
    }

    private func printList() async throws {
        let entries = try await SpoolInspection.list(directory: directory)
        if json { return print(try JSONOutput.string(entries)) }
        var table = TextTable(["FILE", "KIND", "RECORDS", "PENDING", "BYTES", "WHY"])
        for entry in entries {
            table.add([entry.file, entry.kind == .segment ? "segment" : "quarantine:\(entry.kind.rawValue)", "\(entry.records)",
                       entry.kind == .segment ? "\(entry.pending)" : "-", "\(entry.bytes)", entry.reason])
        }
        print(table.text)
        let segments = entries.filter { $0.kind == .segment }
        let refused = entries.filter { $0.kind == .refused }
        let damaged = entries.filter { $0.kind == .damaged }
        print("drain-spool: \(segments.count) segment(s) with \(segments.reduce(0) { $0 + $1.pending }) grants no cluster acknowledged;"
              + " quarantine: \(refused.reduce(0) { $0 + $1.records }) refused record(s), \(damaged.count) damaged segment(s)")
    }
}
