import Foundation
public import Kafka
public import Logging
public import MariaDB
import RewardCore

/// Moves a record out of the lane's way without losing it: to the retry topic (to be settled
/// again later) or to the dead-letter topic plus the `dead_letters` table (for a person).
///
/// Each call returns only once the copy is acknowledged by the cluster (and, for dead letters,
/// recorded in the table), because the caller commits the original's offset right after.
public final class Parking: Sendable {
    /// Renewed after a fatal error, so that parking never waits on a producer that refuses for good.
    private let producer: RenewingProducer
    private let cluster: String
    private let retryTopic: String
    private let deadLetterTopic: String
    private let deadLetters: MariaDBPool
    private let logger: Logger

    public init(producer: RenewingProducer, cluster: String, retryTopic: String, deadLetterTopic: String,
                deadLetters: MariaDBPool, logger: Logger) {
        self.producer = producer
        self.cluster = cluster
        self.retryTopic = retryTopic
        self.deadLetterTopic = deadLetterTopic
        self.deadLetters = deadLetters
        self.logger = logger
    }

    /// Sends a copy to the retry topic, to be settled once it has waited `delay` after it is read.
    ///
    /// The delay travels as a duration (`reward-retry-delay-ms`), not a time: the reader measures it
    /// on its own clock, so the producing and the reading consumer's clocks never have to agree
    /// (an hour of skew once meant an hour's stall, or no backoff at all). `reward-not-before` is
    /// still written for readers that predate the delay header.
    public func toRetryTopic(_ message: KafkaConsumerMessage, attempts: Int, passes: Int, delay: Duration,
                             reason: String) async throws {
        let delayMilliseconds = min(ParkingHeaders.maximumRetryDelayMilliseconds,
                                    max(0, delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000))
        let headers = ParkingHeaders.make([
            ParkingHeaders.attempts: String(attempts),
            ParkingHeaders.retryPasses: String(passes),
            ParkingHeaders.retryDelay: String(delayMilliseconds),
            ParkingHeaders.notBefore: String(WallClock.milliseconds() + delayMilliseconds),
            ParkingHeaders.reason: reason,
            ParkingHeaders.origin: origin(of: message).description,
        ])
        _ = try await producer.send(KafkaProducerMessage(topic: retryTopic, key: message.key, value: message.value, headers: headers))
    }

    /// Sends a copy to the dead-letter topic and records it in `dead_letters` (once per origin record).
    ///
    /// Lands whatever the record carries (see ``DeadLetterRow``). A copy the cluster refuses for
    /// good (too large, invalid) is sent again without its value, which the row keeps; only
    /// transient failures (a broker or the database down) throw, for the caller to retry.
    public func toDeadLetter(_ message: KafkaConsumerMessage, orderID: String?, rewardType: String?, attempts: Int,
                             reason: Rejection) async throws {
        let origin = origin(of: message)
        let row = DeadLetterRow(origin: origin, own: ownCoordinates(message), orderID: orderID, rewardType: rewardType,
                                reason: reason, value: message.value, attempts: attempts)
        let headers = ParkingHeaders.make([
            ParkingHeaders.attempts: String(attempts),
            ParkingHeaders.reason: row.reasonCode,
            ParkingHeaders.reasonMessage: DeadLetterRow.fit(reason.message, 512),
            ParkingHeaders.origin: "\(row.cluster)/\(row.topic)/\(row.partition)@\(row.offset)",
        ])
        do {
            _ = try await producer.send(KafkaProducerMessage(topic: deadLetterTopic, key: message.key, value: message.value,
                                                             headers: headers))
        } catch let error as KafkaError where !error.isRetriable && !error.isFatal && error.code != .shutDown {
            logger.warning("dead-letter copy refused by the cluster; sending it without its value (kept in dead_letters)",
                           metadata: ["error": "\(error)", "origin": "\(origin)"])
            let omitted = headers + [KafkaHeader(name: "reward-payload-omitted", value: Array(String(message.value?.count ?? 0).utf8))]
            _ = try await producer.send(KafkaProducerMessage(topic: deadLetterTopic, key: nil, value: nil, headers: omitted))
        }
        try await deadLetters.execute("""
            INSERT INTO dead_letters (cluster, topic, topic_partition, topic_offset, order_id, reward_type, reason_code,
                                      reason, payload, payload_bytes, attempts, first_failed_at, last_failed_at)
            VALUES (\(row.cluster), \(row.topic), \(Int64(row.partition)), \(row.offset), \(row.orderID), \(row.rewardType),
                    \(row.reasonCode), \(row.reason), \(row.payload), \(row.payloadBytes), \(row.attempts),
                    UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            ON DUPLICATE KEY UPDATE last_failed_at = UTC_TIMESTAMP(6), attempts = GREATEST(attempts, VALUES(attempts)),
                                    reason_code = VALUES(reason_code), reason = VALUES(reason), state = 'parked'
            """)
        logger.warning("record dead-lettered", metadata: [
            "reason": "\(row.reasonCode)", "origin": "\(row.cluster)/\(row.topic)/\(row.partition)@\(row.offset)",
            "order": "\(row.orderID ?? "-")",
        ])
    }

    /// Where the first copy of this record was consumed, kept across trips through the retry topic;
    /// a missing, unreadable or oversized origin header means this record itself.
    private func origin(of message: KafkaConsumerMessage) -> OriginRecord {
        ParkingHeaders.string(ParkingHeaders.origin, in: message).flatMap(OriginRecord.init).flatMap { $0.fitsDeadLetters ? $0 : nil }
            ?? ownCoordinates(message)
    }

    private func ownCoordinates(_ message: KafkaConsumerMessage) -> OriginRecord {
        OriginRecord(cluster: cluster, topic: message.topic, partition: message.partition, offset: message.offset)
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
        guard text.utf8.count <= 256 else { return nil }
        let parts = text.split(separator: "/")
        guard parts.count == 3 else { return nil }
        let tail = parts[2].split(separator: "@")
        guard tail.count == 2, let partition = Int32(tail[0]), let offset = Int64(tail[1]) else { return nil }
        self.init(cluster: String(parts[0]), topic: String(parts[1]), partition: partition, offset: offset)
    }

    var description: String { "\(cluster)/\(topic)/\(partition)@\(offset)" }
}
