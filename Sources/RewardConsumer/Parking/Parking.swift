import Foundation
public import Kafka
public import Logging
public import MariaDB

/// Moves a record out of the lane's way without losing it: to the retry topic (to be settled
/// again later) or to the dead-letter topic plus the `dead_letters` table (for a person).
///
/// Each call returns only once the copy is acknowledged by the cluster (and, for dead letters,
/// recorded in the table), because the caller commits the original's offset right after.
public final class Parking: Sendable {
    private let producer: KafkaProducer
    private let cluster: String
    private let retryTopic: String
    private let deadLetterTopic: String
    private let deadLetters: MariaDBPool
    private let logger: Logger

    public init(producer: KafkaProducer, cluster: String, retryTopic: String, deadLetterTopic: String,
                deadLetters: MariaDBPool, logger: Logger) {
        self.producer = producer
        self.cluster = cluster
        self.retryTopic = retryTopic
        self.deadLetterTopic = deadLetterTopic
        self.deadLetters = deadLetters
        self.logger = logger
    }

    /// Sends a copy to the retry topic, to be settled no earlier than `notBefore`.
    public func toRetryTopic(_ message: KafkaConsumerMessage, attempts: Int, passes: Int, notBefore: ContinuousClock.Instant,
                             reason: String) async throws {
        let dueMilliseconds = Int64(Date().timeIntervalSince1970 * 1000)
            + Int64((notBefore - ContinuousClock.now).components.seconds * 1000)
        let headers = ParkingHeaders.make([
            ParkingHeaders.attempts: String(attempts),
            ParkingHeaders.retryPasses: String(passes),
            ParkingHeaders.notBefore: String(max(0, dueMilliseconds)),
            ParkingHeaders.reason: reason,
            ParkingHeaders.origin: origin(of: message),
        ])
        _ = try await producer.send(KafkaProducerMessage(topic: retryTopic, key: message.key, value: message.value, headers: headers))
    }

    /// Sends a copy to the dead-letter topic and records it in `dead_letters` (once per origin record).
    public func toDeadLetter(_ message: KafkaConsumerMessage, orderID: String?, rewardType: String?, attempts: Int,
                             reason: Rejection) async throws {
        let origin = origin(of: message)
        let headers = ParkingHeaders.make([
            ParkingHeaders.attempts: String(attempts),
            ParkingHeaders.reason: reason.code,
            ParkingHeaders.reasonMessage: String(reason.message.prefix(512)),
            ParkingHeaders.origin: origin,
        ])
        _ = try await producer.send(KafkaProducerMessage(topic: deadLetterTopic, key: message.key, value: message.value, headers: headers))
        let source = OriginRecord(origin) ?? OriginRecord(cluster: cluster, topic: message.topic, partition: message.partition,
                                                           offset: message.offset)
        try await deadLetters.execute("""
            INSERT INTO dead_letters (cluster, topic, topic_partition, topic_offset, order_id, reward_type, reason_code,
                                      reason, payload, attempts, first_failed_at, last_failed_at)
            VALUES (\(source.cluster), \(source.topic), \(Int64(source.partition)), \(source.offset), \(orderID), \(rewardType),
                    \(reason.code), \(String(reason.message.prefix(1024))), \(message.value), \(Int64(attempts)),
                    UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            ON DUPLICATE KEY UPDATE last_failed_at = UTC_TIMESTAMP(6), attempts = GREATEST(attempts, VALUES(attempts)),
                                    reason_code = VALUES(reason_code), reason = VALUES(reason), state = 'parked'
            """)
        logger.warning("record dead-lettered", metadata: [
            "reason": "\(reason.code)", "origin": "\(origin)", "order": "\(orderID ?? "-")",
        ])
    }

    /// Where the first copy of this record was consumed, kept across trips through the retry topic.
    private func origin(of message: KafkaConsumerMessage) -> String {
        ParkingHeaders.string(ParkingHeaders.origin, in: message)
            ?? OriginRecord(cluster: cluster, topic: message.topic, partition: message.partition, offset: message.offset).description
    }
}

/// `cluster/topic/partition@offset`: the record a parked copy stands for.
struct OriginRecord: CustomStringConvertible {
    var cluster: String
    var topic: String
    var partition: Int32
    var offset: Int64

    init(cluster: String, topic: String, partition: Int32, offset: Int64) {
        self.cluster = cluster
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }

    init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 3 else { return nil }
        let tail = parts[2].split(separator: "@")
        guard tail.count == 2, let partition = Int32(tail[0]), let offset = Int64(tail[1]) else { return nil }
        self.init(cluster: String(parts[0]), topic: String(parts[1]), partition: partition, offset: offset)
    }

    var description: String { "\(cluster)/\(topic)/\(partition)@\(offset)" }
}
