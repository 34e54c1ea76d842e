import Kafka
import Logging
import RewardCore

/// Records in the lane topics of every cluster, summed: the difference over a rain is how many
/// events the SDK delivered (retried grants and events that reached both clusters included), so
/// delivered minus credited is what the consumers absorbed as duplicates.
struct RainTopics {
    static let topics = ["reward-cash", "reward-goods"]

    let directory: ClusterDirectory
    let logger: Logger

    func recordCount() async throws -> Int64 {
        var total: Int64 = 0
        for (_, entry) in directory.clusters.sorted(by: { $0.key < $1.key }) {
            let admin = try KafkaAdmin(bootstrapServers: entry.bootstrapServerList, logger: logger)
            for topic in try await admin.describeTopics(Self.topics) {
                for partition in topic.partitions {
                    let marks = try await admin.watermarks(KafkaTopicPartition(topic: topic.name, partition: partition.id))
                    total += marks.high
                }
            }
        }
        return total
    }
}
