/// How a ``KafkaProducer`` talks to one cluster.
///
/// Delivery guarantees are not negotiable here: the producer is always idempotent with
/// `acks=all`, and topics are never created by producing to them.
public struct KafkaProducerConfiguration: Sendable {
    /// The cluster and how to reach it (TLS, SASL, …).
    public var connection: KafkaConnection
    /// `host:port` pairs of the cluster's bootstrap brokers.
    public var bootstrapServers: [String] { connection.bootstrapServers }
    /// Names this client in broker logs and in our metrics labels.
    public var clientID: String = "reward"
    /// How long the producer waits to fill a batch; also the floor of delivery latency.
    public var linger: Duration = .milliseconds(5)
    /// After this, an unacknowledged message fails with ``KafkaError/Code/messageTimedOut``.
    public var messageTimeout: Duration = .seconds(30)
    /// Bound of librdkafka's in-memory queue; beyond it `send` fails with ``KafkaError/Code/queueFull``.
    public var maximumQueuedMessages: Int = 1_000_000
    public var maximumBatchMessages: Int = 10_000
    /// lz4 by default: besides saving bandwidth, it keeps mock-cluster partitions under their 5 MiB cap.
    public var compression: Compression = .lz4
    /// How often librdkafka reports statistics into metrics; `nil` turns them off.
    public var statisticsInterval: Duration? = .seconds(5)
    /// Any other librdkafka property. Guarantee-bearing properties cannot be overridden.
    public var additionalProperties: [String: String] = [:]

    public enum Compression: String, Sendable {
        case none, gzip, snappy, lz4, zstd
    }

    public init(connection: KafkaConnection) {
        self.connection = connection
    }

    /// A plaintext connection to `bootstrapServers` (the mock clusters).
    public init(bootstrapServers: [String]) {
        self.init(connection: KafkaConnection(bootstrapServers: bootstrapServers))
    }

    /// Properties we set for every producer and refuse to let `additionalProperties` change.
    static let fixed: [String: String] = [
        "enable.idempotence": "true",
        "acks": "all",
        "allow.auto.create.topics": "false",
        // The Java client's partitioner, so keys land on the same partition from any client.
        "partitioner": "murmur2_random",
    ]

    func properties() throws(KafkaError) -> [String: String] {
        for key in additionalProperties.keys where Self.fixed[key] != nil {
            throw KafkaError.invalidConfiguration("property \(key) is fixed by KafkaProducerConfiguration and cannot be overridden")
        }
        guard !bootstrapServers.isEmpty else {
            throw KafkaError.invalidConfiguration("bootstrapServers is empty")
        }
        var properties = additionalProperties
        properties.merge(Self.fixed) { _, fixed in fixed }
        properties["client.id"] = clientID
        properties["linger.ms"] = String(linger.milliseconds)
        properties["message.timeout.ms"] = String(max(1, messageTimeout.milliseconds))
        properties["queue.buffering.max.messages"] = String(maximumQueuedMessages)
        properties["batch.num.messages"] = String(maximumBatchMessages)
        properties["compression.codec"] = compression.rawValue
        if let statisticsInterval {
            properties["statistics.interval.ms"] = String(max(100, statisticsInterval.milliseconds))
        }
        return connection.applied(to: properties)
    }
}

extension Duration {
    /// Whole milliseconds, rounded down, for librdkafka's `*.ms` properties.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
