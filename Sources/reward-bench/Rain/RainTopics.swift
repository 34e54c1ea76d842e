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
        for name in directory.clusters.keys.sorted() {
            let admin = try KafkaAdmin(connection: try directory.connection(ClusterName(rawValue: name)), logger: logger)
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
