/// A topic and one of its partitions.
public struct KafkaTopicPartition: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)/\(partition)" }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }
}

/// A record read from a partition, copied out of librdkafka's buffers.
///
/// A `nil` key or value is a null one (a tombstone); an empty array is an empty one. Neither is
/// an error at this layer: decoding decides what a record must contain.
public struct KafkaConsumerMessage: Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [KafkaHeader]
    /// Milliseconds since the epoch, when the record carries a timestamp.
    public var timestampMilliseconds: Int64?

    public init(topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8]?,
                headers: [KafkaHeader] = [], timestampMilliseconds: Int64? = nil) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
    }

    public var topicPartition: KafkaTopicPartition { KafkaTopicPartition(topic: topic, partition: partition) }
}

/// What a consumer's event sequence yields: records, and changes to the partitions it owns.
public enum KafkaConsumerEvent: Sendable {
    case message(KafkaConsumerMessage)
    /// The group gave this member these partitions; records from them follow.
    case partitionsAssigned([KafkaTopicPartition])
    /// These partitions were taken away; offsets committed for them from now on may be refused.
    case partitionsRevoked([KafkaTopicPartition])
}
