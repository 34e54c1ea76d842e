public import Kafka

/// Headers a parked record carries on the retry and dead-letter topics, so it can be retried
/// at the right time and a person can see where it came from and why it stopped.
public enum ParkingHeaders {
    public static let attempts = "reward-attempts"
    public static let retryPasses = "reward-retry-passes"
    /// Milliseconds since the epoch before which a retry-topic record must not be settled.
    public static let notBefore = "reward-not-before"
    public static let reason = "reward-reason"
    public static let reasonMessage = "reward-reason-message"
    public static let origin = "reward-origin"  // cluster/topic/partition@offset of the first copy

    public static func make(_ values: [String: String]) -> [KafkaHeader] {
        values.sorted { $0.key < $1.key }.map { KafkaHeader(name: $0.key, value: Array($0.value.utf8)) }
    }

    public static func string(_ name: String, in message: KafkaConsumerMessage) -> String? {
        message.headers.last { $0.name == name }?.value.map { String(decoding: $0, as: UTF8.self) }
    }

    public static func int(_ name: String, in message: KafkaConsumerMessage) -> Int64? {
        string(name, in: message).flatMap { Int64($0) }
    }
}
