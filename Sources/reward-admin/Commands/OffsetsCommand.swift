import ArgumentParser
import Foundation
import RewardCore
import RewardOps

struct OffsetsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "offsets",
        abstract: "Show and reset a lane group's committed offsets (a reset previews unless --execute).",
        discussion: """
            A lane's consumers stop (offsetOutOfRange) when the group's committed offset on a partition left the
            log: below the log start (retention deleted records the group never read) or above the log end (the
            log was truncated or recreated). `show` finds such partitions; `reset` points the group elsewhere.
            Recovery: ops/runbook.md, "A lane halted: its committed offset left the log".
            """,
        subcommands: [Show.self, Reset.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Committed offset, log start, log end, lag and out-of-range state per partition of a lane group.")

        @Option(help: "Cluster name in the cluster directory (A or B).")
        var cluster: String

        @Option(help: "Only this lane topic (default: every main and retry topic of the cluster).")
        var topic: String?

        @Flag(help: "Print JSON.")
        var json = false

        @Option(help: "Cluster directory file (default: REWARD_KAFKA_CLUSTERS or .local/kafka-clusters.json).")
        var clustersFile: String?

        @Option(help: "Folder with one subfolder of topic files per cluster.")
        var topicsDirectory = "topics"

        func run() async throws {
            let context = try await CommandContext.make()
            let name = ClusterName(rawValue: cluster)
            var topics: [(name: String, lane: Lane)]
            if let topic {
                topics = [(topic, try context.laneTopics(cluster: name, topic: topic, directory: topicsDirectory).lane)]
            } else {
                topics = try TopicDefinition.load(directory: topicsDirectory, cluster: name)
                    .filter { $0.role != .deadLetter }.map { ($0.name, $0.lane) }
            }
            let offsets = try context.laneOffsets(name, clustersFile: clustersFile)
            var reports: [GroupOffsetsReport] = []
            do {
                for topic in topics.sorted(by: { $0.name < $1.name }) {
                    reports.append(try await offsets.show(topic: topic.name, lane: topic.lane))
                }
            } catch let error as OffsetsError {
                await offsets.pool?.shutdown()
                emit("offsets: \(error.message)")
                throw ExitCode.failure
            } catch {
                await offsets.pool?.shutdown()
                throw error
            }
            await offsets.pool?.shutdown()
            if json { return emit(try JSONOutput.string(reports)) }
            for (index, report) in reports.enumerated() {
                if index > 0 { emit("") }
                OffsetsOutput.show(report)
            }
        }
    }

    struct Reset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Point a lane group at new offsets: preview by default, --execute commits (refused while the group has live members).",
            discussion: """
                Exactly one target. The preview shows, per partition, the new offset, the records still in the log that
                it skips or reads again, and those already gone below the log start (reconcile their hours). --execute
                joins the group as its only member and commits; it refuses (exit 2) while other members are alive.
                """)

        @Option(help: "Cluster name in the cluster directory (A or B).")
        var cluster: String

        @Option(help: "The lane topic (for example reward-cash, or its retry topic).")
        var topic: String

        @Flag(help: "To the oldest record still in the log: nothing still there is skipped.")
        var toEarliest = false

        @Flag(help: "To the log end: every record still in the log is skipped.")
        var toLatest = false

        @Option(help: "To the first record written at or after this UTC time, e.g. 2026-02-16T20:00:00Z.")
        var toTime: String?

        @Option(help: "To this offset (on every selected partition; it must lie within each one's log).")
        var toOffset: Int64?

        @Option(help: "Only this partition.")
        var partition: Int32?

        @Flag(help: "Only partitions whose committed offset left the log (those that halt the lane).")
        var outOfRange = false

        @Flag(help: "Commit the new offsets; without it only the preview is shown.")
        var execute = false

        @Flag(help: "Print JSON.")
        var json = false

        @Option(help: "Cluster directory file (default: REWARD_KAFKA_CLUSTERS or .local/kafka-clusters.json).")
        var clustersFile: String?

        @Option(help: "Folder with one subfolder of topic files per cluster.")
        var topicsDirectory = "topics"

        func validate() throws {
            let targets = [toEarliest, toLatest, toTime != nil, toOffset != nil].filter { $0 }.count
            guard targets == 1 else {
                throw ValidationError("give exactly one target: --to-earliest, --to-latest, --to-time or --to-offset")
            }
            if let toOffset, toOffset < 0 { throw ValidationError("--to-offset must not be negative") }
            if let partition, partition < 0 { throw ValidationError("--partition must not be negative") }
            if let date = try parseTimeOption(toTime, "--to-time"), date.timeIntervalSince1970 < 0 {
                throw ValidationError("--to-time must not be before 1970-01-01T00:00:00Z")
            }
        }

        private func target() throws -> OffsetResetTarget {
            if toEarliest { return .earliest }
            if toLatest { return .latest }
            if let toOffset { return .offset(toOffset) }
            guard let date = try parseTimeOption(toTime, "--to-time") else { throw ValidationError("no target given") }
            return .time(date)
        }

        func run() async throws {
            let context = try await CommandContext.make()
            let name = ClusterName(rawValue: cluster)
            let lane = try context.laneTopics(cluster: name, topic: topic, directory: topicsDirectory).lane
            var request = OffsetResetRequest(topic: topic, target: try target())
            request.partition = partition
            request.onlyOutOfRange = outOfRange
            let offsets = try context.laneOffsets(name, clustersFile: clustersFile)
            do {
                try await reset(request, lane: lane, offsets: offsets)
            } catch let error as OffsetsError {
                await offsets.pool?.shutdown()
                emit("offsets: \(error.message)")
                throw ExitCode(error.code == .liveMembers ? 2 : 1)
            } catch {
                await offsets.pool?.shutdown()
                throw error
            }
            await offsets.pool?.shutdown()
        }

        private func reset(_ request: OffsetResetRequest, lane: Lane, offsets: LaneOffsets) async throws {
            let plan = try await offsets.plan(request, lane: lane)
            guard execute, !plan.changing.isEmpty else {
                if json { return emit(try JSONOutput.string(OffsetsOutput.Outcome(plan: plan, executed: false, after: nil))) }
                return OffsetsOutput.preview(plan, preview: !execute)
            }
            if !json { OffsetsOutput.preview(plan, preview: false) }
            let after = try await offsets.execute(plan, lane: lane)
            if json { return emit(try JSONOutput.string(OffsetsOutput.Outcome(plan: plan, executed: true, after: after))) }
            emit("reset: committed \(plan.changing.count) partition(s) of \(plan.group), as the group's only member")
            emit("")
            OffsetsOutput.show(after)
        }
    }
}

extension CommandContext {
    /// The offsets tool for one cluster, with the database for the lane leases when it is configured.
    func laneOffsets(_ cluster: ClusterName, clustersFile: String?) throws -> LaneOffsets {
        let connection = try clusterDirectory(clustersFile).connection(cluster)
        return LaneOffsets(connection: connection, cluster: cluster, pool: try databasePool(), logger: logger)
    }
}
