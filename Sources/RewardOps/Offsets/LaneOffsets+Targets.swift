import Foundation
import Kafka

extension LaneOffsets {
    /// The new offset per selected partition; each is checked against its log by ``OffsetMove``.
    func resolve(_ target: OffsetResetTarget, _ partitions: [GroupPartitionOffsets], topic: String, admin: KafkaAdmin)
        async throws -> [Int32: Int64]
    {
        switch target {
        case .earliest:
            return Dictionary(uniqueKeysWithValues: partitions.map { ($0.partition, $0.logStart) })
        case .latest:
            return Dictionary(uniqueKeysWithValues: partitions.map { ($0.partition, $0.logEnd) })
        case .offset(let offset):
            return Dictionary(uniqueKeysWithValues: partitions.map { ($0.partition, offset) })
        case .time(let date):
            return try await offsets(at: date, partitions, topic: topic, admin: admin)
        }
    }

    /// Offsets for a time: the cluster's lookup, clamped into each log. "No record that recent"
    /// means the log end, but only once the newest record confirms it: librdkafka's mock clusters
    /// give that answer for every time, and trusting it would skip the whole log.
    private func offsets(at date: Date, _ partitions: [GroupPartitionOffsets], topic: String, admin: KafkaAdmin)
        async throws -> [Int32: Int64]
    {
        let milliseconds = try OffsetResetTarget.milliseconds(date)
        let answers = try await admin.offsetsForTimes(Dictionary(uniqueKeysWithValues: partitions.map {
            (KafkaTopicPartition(topic: topic, partition: $0.partition), milliseconds)
        }))
        var targets: [Int32: Int64] = [:]
        var unanswered: [GroupPartitionOffsets] = []
        for partition in partitions {
            if let offset = answers[KafkaTopicPartition(topic: topic, partition: partition.partition)] ?? nil {
                targets[partition.partition] = min(max(offset, partition.logStart), partition.logEnd)
            } else {
                targets[partition.partition] = partition.logEnd
                if partition.logEnd > partition.logStart { unanswered.append(partition) }
            }
        }
        guard !unanswered.isEmpty else { return targets }
        let newest = await RecordProbe(connection: connection, logger: logger)
            .timestamps(topic, at: Dictionary(uniqueKeysWithValues: unanswered.map { ($0.partition, $0.logEnd - 1) }))
        let time = Formatting.timestamp(date)
        for partition in unanswered {
            guard let written = newest[partition.partition] else {
                throw OffsetsError(.brokerAnswer, """
                    partition \(partition.partition): the cluster found no record written at or after \(time), and its newest \
                    record (offset \(partition.logEnd - 1)) could not be read to confirm it; use --to-offset or --to-latest
                    """)
            }
            if written >= milliseconds {
                throw OffsetsError(.timeLookupUnsupported, """
                    partition \(partition.partition): cluster \(cluster) found no record written at or after \(time), yet its newest \
                    record (offset \(partition.logEnd - 1)) was written at \
                    \(Formatting.timestamp(Date(timeIntervalSince1970: Double(written) / 1000))): this cluster cannot look \
                    offsets up by time (librdkafka's mock clusters cannot); use --to-offset
                    """)
            }
        }
        return targets
    }
}
