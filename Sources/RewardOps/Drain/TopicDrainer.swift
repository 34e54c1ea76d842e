import Foundation
public import Kafka
public import Logging
public import MariaDB
public import RewardConsumer
public import RewardCore
import RewardSettlement

/// Settles a topic's backlog directly through the settlement engine, as the lane's consumers
/// would (verify, settle, dead-letter what cannot be paid), but over a fixed offset range and at a
/// chosen rate. Progress is checkpointed only after the records before it are settled or parked,
/// so an interrupted drain resumes where it stopped; the engine's idempotency by order id makes
/// any record handled twice (by a rerun, or by consumers afterwards) a harmless duplicate.
public final class TopicDrainer: Sendable {
    /// Where the drain reads and parks, and how it settles.
    public struct Parts: Sendable {
        public var connection: KafkaConnection
        public var lane: Lane
        public var retryTopic: String
        public var deadLetterTopic: String
        public var verifier: RecordVerifier
        public var settler: RetryingSettler
        public var pool: MariaDBPool

        public init(connection: KafkaConnection, lane: Lane, retryTopic: String, deadLetterTopic: String, verifier: RecordVerifier,
                    settler: RetryingSettler, pool: MariaDBPool) {
            self.connection = connection
            self.lane = lane
            self.retryTopic = retryTopic
            self.deadLetterTopic = deadLetterTopic
            self.verifier = verifier
            self.settler = settler
            self.pool = pool
        }
    }

    private let parts: Parts
    private let logger: Logger
    private let checkpoints: DrainCheckpointStore

    public init(parts: Parts, logger: Logger) {
        self.parts = parts
        self.logger = logger
        self.checkpoints = DrainCheckpointStore(pool: parts.pool)
    }

    /// The lane's consumer group: a drain commits there so consumers do not read drained records again.
    public static func group(cluster: ClusterName, lane: Lane) -> String { "reward-consumer-\(cluster)-\(lane)" }

    // MARK: Plan

    /// Works out, per partition, what the drain would read. Changes nothing.
    /// - Throws: ``DrainError`` for an unknown topic or partition or an empty range; Kafka or database errors.
    public func plan(_ request: DrainRequest) async throws -> DrainPlan {
        let admin = try KafkaAdmin(connection: parts.connection, clientID: "reward-admin-drain", logger: logger)
        guard let description = try await admin.describeTopics([request.topic]).first, !description.partitions.isEmpty else {
            throw DrainError(.unknownTopic, "topic \(request.topic) does not exist on cluster \(request.cluster)")
        }
        var ids = description.partitions.map(\.id).sorted()
        if let wanted = request.partition {
            guard ids.contains(wanted) else {
                throw DrainError(.unknownPartition, "topic \(request.topic) has partitions 0-\((ids.last ?? 0)), not \(wanted)")
            }
            ids = [wanted]
        }
        if let from = request.fromOffset, let to = request.toOffset, from >= to {
            throw DrainError(.invalidRange, "--from-offset \(from) is not before --to-offset \(to)")
        }
        let group = Self.group(cluster: request.cluster, lane: parts.lane)
        let topicPartitions = ids.map { KafkaTopicPartition(topic: request.topic, partition: $0) }
        let committed = try await admin.committedOffsets(group: group, partitions: topicPartitions)
        let saved = request.ignoreCheckpoint ? [:]
            : try await checkpoints.load(cluster: request.cluster.rawValue, topic: request.topic, selection: request.selection)
        var plans: [DrainPartitionPlan] = []
        for partition in topicPartitions {
            let (low, high) = try await admin.watermarks(partition)
            let groupOffset = committed[partition] ?? nil
            var start = max(low, request.fromOffset ?? groupOffset ?? low)
            if let checkpoint = saved[partition.partition] { start = max(start, checkpoint) }
            let end = min(high, request.toOffset ?? high)
            plans.append(DrainPartitionPlan(
                partition: partition.partition, logStart: low, logEnd: high, committed: groupOffset,
                checkpoint: saved[partition.partition], start: min(start, max(end, low)), end: end))
        }
        let active = try await LaneActivity.activeInstances(lane: parts.lane, pool: parts.pool)
        return DrainPlan(cluster: request.cluster.rawValue, topic: request.topic, lane: parts.lane.rawValue, group: group,
                         selection: request.selection, activeConsumers: active, partitions: plans)
    }

    // MARK: Run

    /// Carries out a plan.
    /// - Parameters:
    ///   - progress: Called after every batch.
    ///   - shouldStop: Polled between records; `true` ends the drain after the batch in hand.
    /// - Throws: ``DrainError/Code/consumersActive`` when the lane's consumers are alive and the
    ///   request does not join their group; Kafka errors (an offset that left the log).
    public func run(_ plan: DrainPlan, _ request: DrainRequest, progress: @Sendable (DrainProgress) -> Void,
                    shouldStop: @Sendable () -> Bool) async throws -> DrainSummary {
        let active = try await LaneActivity.activeInstances(lane: parts.lane, pool: parts.pool)
        if !active.isEmpty, !request.join {
            throw DrainError(.consumersActive, """
                \(active.count) consumer(s) of the \(parts.lane) lane are running (\(active.joined(separator: ", "))); \
                stop them or pass --join to drain as a member of \(plan.group)
                """)
        }
        let run = try DrainRun(plan: plan, request: request, parts: parts, checkpoints: checkpoints, logger: logger)
        return try await run.execute(progress: progress, shouldStop: shouldStop)
    }
}
