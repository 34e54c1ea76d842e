import Foundation
public import Kafka
public import Logging
public import RewardCore

/// One row of `reward-admin lag`: a partition of a lane topic for its consumer group, and
/// optionally one reward type's share of the lag. Time to drain is a lane's and type's, over every
/// partition and cluster (``LaneETA``), never one partition's.
public struct LagRow: Sendable, Codable, Hashable {
    public var cluster: String
    public var lane: String
    public var topic: String
    public var partition: Int32
    public var group: String
    /// `*` for the whole partition, else a reward type (counted in the records behind the group).
    public var rewardType: String
    public var committed: Int64?
    public var end: Int64
    public var lag: Int64
}

/// Committed offsets, log ends and lag of a cluster's lane topics; with `byType`, the records
/// behind each group are read (up to `sampleLimit` per partition) and counted per reward type.
public struct LagReporter: Sendable {
    public let connection: KafkaConnection
    public let cluster: ClusterName
    public let logger: Logger

    public init(connection: KafkaConnection, cluster: ClusterName, logger: Logger) {
        self.connection = connection
        self.cluster = cluster
        self.logger = logger
    }

    /// The rows for these lane topics (name and lane).
    public func report(topics: [(name: String, lane: Lane)], byType: Bool, sampleLimit: Int = 100_000) async throws -> [LagRow] {
        let admin = try KafkaAdmin(connection: connection, clientID: "reward-admin-lag", logger: logger)
        var rows: [LagRow] = []
        for topic in topics {
            let group = TopicDrainer.group(cluster: cluster, lane: topic.lane)
            for partition in try await admin.lag(group: group, topic: topic.name) {
                let start = max(partition.committed ?? partition.logStart, partition.logStart)
                let row = LagRow(cluster: cluster.rawValue, lane: topic.lane.rawValue, topic: topic.name,
                                 partition: partition.partition.partition, group: group, rewardType: "*",
                                 committed: partition.committed, end: partition.logEnd, lag: partition.lag)
                rows.append(row)
                guard byType, partition.lag > 0 else { continue }
                let counts = try await countTypes(partition.partition, from: start, count: min(partition.lag, Int64(sampleLimit)))
                let scale = Double(partition.lag) / Double(max(1, counts.values.reduce(0, +)))
                for (type, count) in counts.sorted(by: { $0.key < $1.key }) {
                    var typeRow = row
                    typeRow.rewardType = type
                    typeRow.lag = Int64((Double(count) * scale).rounded())
                    rows.append(typeRow)
                }
            }
        }
        return rows
    }

    /// Counts reward types of `count` records from `offset` (undecodable ones as `?`).
    private func countTypes(_ partition: KafkaTopicPartition, from offset: Int64, count: Int64) async throws -> [String: Int] {
        var configuration = KafkaConsumerConfiguration(connection: connection, groupID: "reward-admin-lag-\(UUID().uuidString)")
        configuration.clientID = "reward-admin-lag"
        configuration.statisticsInterval = nil
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        try consumer.assign([partition: offset])
        let reading = Task { () throws -> [String: Int] in
            var counts: [String: Int] = [:]
            var seen: Int64 = 0
            for try await message in consumer.messages {
                let type = (try? BonusEvent.decode(message.value))?.bonus.rewardType ?? "?"
                counts[type, default: 0] += 1
                seen += 1
                if seen >= count { break }
            }
            return counts
        }
        // A partition that stops answering must not hang the report: close the consumer after a while.
        let watchdog = Task {
            try await Task.sleep(for: .seconds(30))
            await consumer.close()
        }
        let counts = try await reading.value
        watchdog.cancel()
        await consumer.close()
        return counts
    }
}
