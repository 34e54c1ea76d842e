import Foundation
public import Kafka
public import Logging
public import MariaDB
public import RewardCore

/// Shows and resets a lane group's committed offsets on one cluster (`reward-admin offsets`):
/// the way back for a lane that stopped because its committed offset left the log.
///
/// "Live members" is decided by the cluster, the only place that knows the group: where the
/// cluster describes groups (real Kafka), a reset with members refuses at once; everywhere, the
/// commit itself is made as the group's only member (``KafkaGroupOffsetWriter``), so a live member
/// makes it refuse, and one joining meanwhile fences it. The lane's leases in `rate_leases` are
/// shown beside it, not enforced: their scope is the lane on both clusters.
public struct LaneOffsets: Sendable {
    public let connection: KafkaConnection
    public let cluster: ClusterName
    /// The coordination database, read for the lane's leases; `nil` leaves them out.
    public let pool: MariaDBPool?
    public let logger: Logger
    /// How long a reset waits for the group to hand it the topic's partitions.
    public var joinTimeout: Duration = .seconds(60)

    public init(connection: KafkaConnection, cluster: ClusterName, pool: MariaDBPool?, logger: Logger) {
        self.connection = connection
        self.cluster = cluster
        self.pool = pool
        self.logger = logger
    }

    /// The lane group's offsets on every partition of `topic`. Changes nothing.
    /// - Throws: ``OffsetsError/Code/unknownTopic``; Kafka errors.
    public func show(topic: String, lane: Lane) async throws -> GroupOffsetsReport {
        let admin = try makeAdmin()
        let group = TopicDrainer.group(cluster: cluster, lane: lane)
        var partitions = try await read(admin, topic: topic, group: group)
        // Where records are gone, the time of the oldest one left bounds the hours to reconcile.
        let gone = partitions.filter { $0.position == .belowLogStart && $0.logEnd > $0.logStart }
        let times = await RecordProbe(connection: connection, logger: logger)
            .timestamps(topic, at: Dictionary(uniqueKeysWithValues: gone.map { ($0.partition, $0.logStart) }))
        for index in partitions.indices { partitions[index].logStartTimeMilliseconds = times[partitions[index].partition] }
        return GroupOffsetsReport(cluster: cluster.rawValue, topic: topic, lane: lane.rawValue, group: group, partitions: partitions,
                                  membership: await membership(admin, group: group, lane: lane))
    }

    /// Works out where a reset would point the lane group, per selected partition. Changes nothing.
    /// - Throws: ``OffsetsError`` for an unknown topic or partition, an offset outside a log, or a
    ///   time the cluster cannot look up; Kafka errors.
    public func plan(_ request: OffsetResetRequest, lane: Lane) async throws -> OffsetResetPlan {
        let admin = try makeAdmin()
        let group = TopicDrainer.group(cluster: cluster, lane: lane)
        let partitions = try await read(admin, topic: request.topic, group: group)
        var selected = partitions
        var selection: [String] = []
        if let wanted = request.partition {
            guard let match = partitions.first(where: { $0.partition == wanted }) else {
                throw OffsetsError(.unknownPartition,
                                   "topic \(request.topic) has partitions 0-\(partitions.count - 1) on cluster \(cluster), not \(wanted)")
            }
            selected = [match]
            selection.append("partition \(wanted)")
        }
        if request.onlyOutOfRange {
            selected = selected.filter(\.isOutOfRange)
            selection.append("out of range only")
        }
        let targets = try await resolve(request.target, selected, topic: request.topic, admin: admin)
        var moves: [OffsetMove] = []
        for partition in selected {
            guard let target = targets[partition.partition] else { continue }
            moves.append(try OffsetMove(current: partition, newOffset: target))
        }
        return OffsetResetPlan(
            cluster: cluster.rawValue, topic: request.topic, group: group, target: request.target.description,
            selection: selection.isEmpty ? "all partitions" : selection.joined(separator: ", "), partitionCount: partitions.count,
            moves: moves, membership: await membership(admin, group: group, lane: lane))
    }

    /// Commits a plan's new offsets, if the group has no live members, and reports the group after.
    /// - Throws: ``OffsetsError/Code/liveMembers`` (nothing committed) when the cluster lists
    ///   members, when the coordinator shares the topic's partitions with another member, or when a
    ///   member joins during the commit; ``OffsetsError/Code/brokerAnswer`` when the group's offsets
    ///   read back differ; Kafka errors.
    public func execute(_ plan: OffsetResetPlan, lane: Lane) async throws -> GroupOffsetsReport {
        let admin = try makeAdmin()
        let membership = await membership(admin, group: plan.group, lane: lane)
        if membership.described, !membership.members.isEmpty {
            throw OffsetsError(.liveMembers, """
                group \(plan.group) has \(membership.members.count) live member(s): \(membership.members.joined(separator: ", ")); \
                stop the lane's consumers on cluster \(cluster) and run again
                """)
        }
        let offsets = Dictionary(uniqueKeysWithValues: plan.changing.map {
            (KafkaTopicPartition(topic: plan.topic, partition: $0.current.partition), $0.newOffset)
        })
        if !offsets.isEmpty {
            var writer = KafkaGroupOffsetWriter(connection: connection, groupID: plan.group)
            writer.joinTimeout = joinTimeout
            let committed: [KafkaTopicPartition: Int64?]
            do {
                committed = try await writer.commit(offsets, topic: plan.topic, partitionCount: plan.partitionCount, logger: logger)
            } catch let error as KafkaError where Self.fencedBy.contains(error.code) {
                throw OffsetsError(.liveMembers, """
                    group \(plan.group) has live members, so nothing was committed (\(error.message)); \
                    stop the lane's consumers on cluster \(cluster) and run again
                    """)
            }
            for (partition, offset) in offsets.sorted(by: { $0.key < $1.key }) where committed[partition] != offset {
                throw OffsetsError(.brokerAnswer, "\(partition): committed \(offset) but the group reads back \(String(describing: committed[partition] ?? nil))")
            }
            logger.notice("lane group offsets reset", metadata: [
                "group": "\(plan.group)", "topic": "\(plan.topic)", "target": "\(plan.target)",
                "offsets": "\(offsets.sorted { $0.key < $1.key }.map { "\($0.key.partition)=\($0.value)" })",
            ])
        }
        return try await show(topic: plan.topic, lane: lane)
    }

    /// Coordinator answers that mean another member is (or just became) part of the group.
    static let fencedBy: Set<KafkaError.Code> = [.groupNotEmpty, .rebalanceInProgress, .illegalGeneration, .unknownMemberID]

    func makeAdmin() throws -> KafkaAdmin {
        try KafkaAdmin(connection: connection, clientID: "reward-admin-offsets", logger: logger)
    }

    func read(_ admin: KafkaAdmin, topic: String, group: String) async throws -> [GroupPartitionOffsets] {
        guard let description = try await admin.describeTopics([topic]).first, !description.partitions.isEmpty else {
            throw OffsetsError(.unknownTopic, "topic \(topic) does not exist on cluster \(cluster)")
        }
        return try await admin.lag(group: group, topic: topic).map {
            try GroupPartitionOffsets(partition: $0.partition.partition, committed: $0.committed, logStart: $0.logStart, logEnd: $0.logEnd)
        }.sorted { $0.partition < $1.partition }
    }
}
