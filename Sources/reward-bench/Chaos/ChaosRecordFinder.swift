import Foundation
import Kafka
import Logging
import RewardCore
import RewardOps

/// Where an order's records are on the lane topics of both clusters (main, retry, dead letter),
/// for a grant the books cannot find: "on no topic" means it was lost before Kafka, an offset
/// means it was consumed and not credited.
struct ChaosRecordFinder {
    let root: String
    let clusters: [ClusterName: [String]]
    let logger: Logger

    /// Each wanted order's records, as `cluster topic/partition@offset`; reads every partition from
    /// its start to its end at the time of the call.
    func find(_ orders: Set<String>) async throws -> [String: [String]] {
        var found: [String: [String]] = [:]
        guard !orders.isEmpty else { return found }
        for (name, servers) in clusters.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let admin = try KafkaAdmin(bootstrapServers: servers, clientID: "chaos-finder", logger: logger)
            for definition in try TopicDefinition.load(directory: "\(root)/topics", cluster: name) {
                var ends: [KafkaTopicPartition: Int64] = [:]
                for index in 0..<definition.partitions {
                    let partition = KafkaTopicPartition(topic: definition.name, partition: Int32(index))
                    let (low, high) = try await admin.watermarks(partition)
                    if high > low { ends[partition] = high }
                }
                guard !ends.isEmpty else { continue }
                var configuration = KafkaConsumerConfiguration(bootstrapServers: servers, groupID: "chaos-finder-\(UUID().uuidString)")
                configuration.statisticsInterval = nil
                let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
                try consumer.assign(ends.mapValues { _ in Int64(0) })
                var left = ends
                let deadline = ContinuousClock.now + .seconds(60)
                for try await message in consumer.messages {
                    let partition = message.topicPartition
                    if let key = message.key.map({ String(decoding: $0, as: UTF8.self) }), orders.contains(key) {
                        found[key, default: []].append("\(name.rawValue) \(partition.topic)/\(partition.partition)@\(message.offset)")
                    }
                    if let end = left[partition], message.offset + 1 >= end { left[partition] = nil }
                    if left.isEmpty || ContinuousClock.now > deadline { break }
                }
                await consumer.close()
            }
        }
        return found
    }
}
