import ArgumentParser
import Foundation
import Kafka
import RewardConsumer
import RewardCore
import RewardOps
import RewardSettlement
import Synchronization

struct DrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain",
        abstract: "Settle a topic's backlog directly through the settlement engine (preview unless --execute).",
        discussion: """
            Reads the range from the lane group's committed offset (or the drain's own checkpoint, if further)
            to the log end as it is when the drain starts, settles every record as a consumer would, and
            dead-letters what cannot be paid. Refuses while the lane's consumers are running unless --join.
            Ctrl-C stops after the batch in hand; running the same command again resumes. Exit status:
            0 completed, 3 settlement stalled (a ledger or the database down), 130 interrupted.
            """)

    @Option(help: "Cluster name in the cluster directory (A or B).")
    var cluster: String

    @Option(help: "The lane topic to drain (for example reward-cash).")
    var topic: String

    @Option(help: "Only this partition.")
    var partition: Int32?

    @Option(help: "First offset to drain (inclusive).")
    var fromOffset: Int64?

    @Option(help: "Offset to stop before (default: the log end when the drain starts).")
    var toOffset: Int64?

    @Option(help: "Only records at or after this UTC time (record timestamp), e.g. 2026-02-16T20:00:00Z.")
    var fromTime: String?

    @Option(help: "Only records before this UTC time.")
    var toTime: String?

    @Option(name: .customLong("type"), help: "Only this reward type (repeatable).")
    var rewardTypes: [String] = []

    @Option(help: "Records per second at most (default: as fast as the engine settles).")
    var rate: Int?

    @Option(help: "Records per settlement batch.")
    var batchSize = 500

    @Flag(help: "Drain as a member of the lane's consumer group, beside running consumers.")
    var join = false

    @Flag(help: "Start from the requested offsets even where an earlier drain's checkpoint is further on.")
    var ignoreCheckpoint = false

    @Flag(help: "Settle; without it only the plan is shown.")
    var execute = false

    @Flag(help: "Print JSON instead of tables and progress lines.")
    var json = false

    @Option(help: "Cluster directory file (default: REWARD_KAFKA_CLUSTERS or .local/kafka-clusters.json).")
    var clustersFile: String?

    @Option(help: "Folder with one subfolder of topic files per cluster.")
    var topicsDirectory = "topics"

    func validate() throws {
        if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
        if batchSize <= 0 { throw ValidationError("--batch-size must be positive") }
        if let partition, partition < 0 { throw ValidationError("--partition must not be negative") }
    }

    func run() async throws {
        let interrupt = InterruptSignal()
        let context = try await CommandContext.make()
        let name = ClusterName(rawValue: cluster)
        let lane = try context.laneTopics(cluster: name, topic: topic, directory: topicsDirectory)
        let connection = try context.clusterDirectory(clustersFile).connection(name)
        var request = DrainRequest(cluster: name, topic: topic)
        request.partition = partition
        request.fromOffset = fromOffset
        request.toOffset = toOffset
        request.fromTimeMilliseconds = try parseTimeOption(fromTime, "--from-time").map { Int64($0.timeIntervalSince1970 * 1000) }
        request.toTimeMilliseconds = try parseTimeOption(toTime, "--to-time").map { Int64($0.timeIntervalSince1970 * 1000) }
        request.rewardTypes = Set(rewardTypes)
        request.rate = rate
        request.batchSize = batchSize
        request.join = join
        request.ignoreCheckpoint = ignoreCheckpoint

        let wiring = try SettlementWiring(config: context.config, logger: context.logger)
        for type in rewardTypes where wiring.catalog[type] == nil {
            await wiring.shutdown()
            throw ValidationError("reward type \(type) is not in the catalog")
        }
        let drainer = TopicDrainer(parts: .init(
            connection: connection, lane: lane.lane, retryTopic: lane.retry, deadLetterTopic: lane.deadLetter,
            verifier: RecordVerifier(catalog: wiring.catalog, keyRing: try context.keyRing(), lane: lane.lane),
            settler: RetryingSettler(engine: wiring.engine), pool: wiring.pool), logger: context.logger)
        let summary: DrainSummary
        do {
            let plan = try await drainer.plan(request)
            guard execute else {
                printPlan(plan)
                await wiring.shutdown()
                return
            }
            if !json { printPlan(plan, preview: false) }
            let printer = ProgressPrinter(enabled: !json)
            summary = try await drainer.run(plan, request, progress: { printer.show($0) }, shouldStop: { interrupt.isRaised })
            printer.show(summary.progress, force: true)
        } catch let error as DrainError {
            await wiring.shutdown()
            emit("drain: \(error.message)")
            throw ExitCode(error.code == .consumersActive ? 2 : 1)
        } catch {
            await wiring.shutdown()
            throw error
        }
        await wiring.shutdown()
        if json { emit(try JSONOutput.string(summary)) } else { summary.lines.forEach { emit($0) } }
        switch summary.ending {
        case .completed: return
        case .interrupted: throw ExitCode(130)
        case .stalled: throw ExitCode(3)
        }
    }

    private func printPlan(_ plan: DrainPlan, preview: Bool = true) {
        if json {
            emit((try? JSONOutput.string(plan)) ?? "{}")
            return
        }
        var table = TextTable(["PARTITION", "LOG-START", "LOG-END", "COMMITTED", "CHECKPOINT", "START", "END", "RECORDS"])
        for p in plan.partitions {
            table.add(["\(p.partition)", "\(p.logStart)", "\(p.logEnd)", p.committed.map(String.init) ?? "-",
                       p.checkpoint.map(String.init) ?? "-", "\(p.start)", "\(p.end)", "\(p.records)"])
        }
        emit("drain \(plan.cluster)/\(plan.topic) (lane \(plan.lane), group \(plan.group), selection \(plan.selection))")
        emit(table.text)
        for p in plan.partitions {
            guard let committed = p.committed else { continue }
            if committed < p.logStart {
                emit("partition \(p.partition): the group's committed offset \(committed) is below the log start \(p.logStart) "
                    + "(\(p.logStart - committed) records gone, see `reward-admin offsets show`); the drain starts at the log start")
            } else if committed > p.logEnd {
                emit("partition \(p.partition): the group's committed offset \(committed) is above the log end \(p.logEnd) "
                    + "(the log was truncated or recreated); the drain reads nothing there: `reward-admin offsets reset` first")
            }
        }
        if !plan.activeConsumers.isEmpty {
            emit("consumers running: \(plan.activeConsumers.joined(separator: ", ")) (drain refuses without --join)")
        }
        if preview { emit("preview only: \(plan.total) records would be settled; pass --execute to settle them") }
    }
}

/// Prints progress lines at most twice a second (every line when forced).
private final class ProgressPrinter: Sendable {
    private let enabled: Bool
    private let last = Mutex<ContinuousClock.Instant?>(nil)

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ progress: DrainProgress, force: Bool = false) {
        guard enabled else { return }
        let now = ContinuousClock.now
        let due = last.withLock { last -> Bool in
            guard force || last.map({ now - $0 >= .milliseconds(500) }) ?? true else { return false }
            last = now
            return true
        }
        guard due else { return }
        emit(progress.line)
    }
}

/// Writes a line to standard output unbuffered, so progress shows at once even through a pipe
/// and stays in order with the plan and the summary.
func emit(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
