/// How a ``KafkaConsumer`` joins its group and reads.
///
/// Offsets are only ever committed by the application (``KafkaConsumer/commit(_:)``), and an
/// offset outside the log stops the consumer with an error unless told otherwise.
public struct KafkaConsumerConfiguration: Sendable {
    /// The cluster and how to reach it (TLS, SASL, …).
    public var connection: KafkaConnection
    public var bootstrapServers: [String] { connection.bootstrapServers }
    /// The consumer group; every instance of one service shares it.
    public var groupID: String
    public var clientID: String = "reward-consumer"
    /// A member silent this long is removed from the group and its partitions move.
    /// librdkafka's 45 s default made a rejoin after a crash take ~44 s; 10 s is enough on loopback.
    public var sessionTimeout: Duration = Self.defaultSessionTimeout
    /// The lane consumers' session timeout, which ``KafkaGroupOffsetWriter`` matches.
    public static let defaultSessionTimeout: Duration = .seconds(10)
    public var heartbeatInterval: Duration = .seconds(1)
    /// A member that does not poll for this long leaves the group.
    public var maximumPollInterval: Duration = .seconds(300)
    /// Where to start when the group has no committed offset for a partition, or the committed
    /// one is out of range.
    public var autoOffsetReset: AutoOffsetReset = .error
    /// How many messages one hop to the polling thread may bring back.
    public var pollBatchSize: Int = 256
    /// Upper bound of messages librdkafka prefetches per partition.
    public var queuedMinimumMessages: Int = 10_000
    public var statisticsInterval: Duration? = .seconds(5)
    public var additionalProperties: [String: String] = [:]

    public enum AutoOffsetReset: String, Sendable {
        /// Stop with ``KafkaError/Code/offsetOutOfRange``: never skip or repeat data silently.
        case error
        case earliest
        case latest
    }

    public init(connection: KafkaConnection, groupID: String) {
        self.connection = connection
        self.groupID = groupID
    }

    /// A plaintext connection to `bootstrapServers` (the mock clusters).
    public init(bootstrapServers: [String], groupID: String) {
        self.init(connection: KafkaConnection(bootstrapServers: bootstrapServers), groupID: groupID)
    }

    static let fixed: [String: String] = [
        "enable.auto.commit": "false",
        "enable.auto.offset.store": "false",
        "allow.auto.create.topics": "false",
        "enable.partition.eof": "false",
    ]

    func properties() throws(KafkaError) -> [String: String] {
        for key in additionalProperties.keys where Self.fixed[key] != nil {
            throw KafkaError.invalidConfiguration("property \(key) is fixed by KafkaConsumerConfiguration and cannot be overridden")
        }
        guard !bootstrapServers.isEmpty else { throw KafkaError.invalidConfiguration("bootstrapServers is empty") }
        guard !groupID.isEmpty else { throw KafkaError.invalidConfiguration("groupID is empty") }
        var properties = additionalProperties
        properties.merge(Self.fixed) { _, fixed in fixed }
        properties["group.id"] = groupID
        properties["client.id"] = clientID
        properties["session.timeout.ms"] = String(sessionTimeout.milliseconds)
        properties["heartbeat.interval.ms"] = String(heartbeatInterval.milliseconds)
        properties["max.poll.interval.ms"] = String(maximumPollInterval.milliseconds)
        properties["auto.offset.reset"] = autoOffsetReset.rawValue
        properties["queued.min.messages"] = String(queuedMinimumMessages)
        if let statisticsInterval {
            properties["statistics.interval.ms"] = String(max(1000, statisticsInterval.milliseconds))
        }
        return connection.applied(to: properties)
    }
}
