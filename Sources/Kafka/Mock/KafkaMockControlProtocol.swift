/// One command to a mock cluster host, sent as a JSON line over loopback TCP.
public struct KafkaMockControlRequest: Codable, Sendable {
    public enum Operation: String, Codable, Sendable {
        case describe, createTopic, brokerDown, brokerUp, clusterDown, clusterUp, setRoundTripTime, pushRequestErrors
        case clearRequestErrors, setPartitionLeader
    }

    public var operation: Operation
    public var cluster: String
    public var topic: String?
    public var partitions: Int?
    /// A partition (``Operation/setPartitionLeader``).
    public var partition: Int32?
    public var replicationFactor: Int?
    public var broker: Int32?
    public var milliseconds: Int?
    public var api: Int16?
    public var errors: [Int32]?

    public init(operation: Operation, cluster: String) {
        self.operation = operation
        self.cluster = cluster
    }
}

/// The host's answer: `ok`, or an error message a person can act on.
public struct KafkaMockControlResponse: Codable, Sendable {
    public var ok: Bool
    public var error: String?
    public var bootstrapServers: String?
    public var brokers: Int?

    public init(ok: Bool, error: String? = nil, bootstrapServers: String? = nil, brokers: Int? = nil) {
        self.ok = ok
        self.error = error
        self.bootstrapServers = bootstrapServers
        self.brokers = brokers
    }
}
