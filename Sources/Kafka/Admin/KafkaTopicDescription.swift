/// A topic as the cluster's metadata describes it.
public struct KafkaTopicDescription: Sendable, Hashable {
    public struct Partition: Sendable, Hashable {
        public var id: Int32
        /// Broker id of the leader, or -1 when there is none.
        public var leader: Int32
        public var replicas: [Int32]
        public var inSyncReplicas: [Int32]
    }

    public var name: String
    public var partitions: [Partition]

    /// The replica count of the first partition (all partitions share it when created normally).
    public var replicationFactor: Int { partitions.first?.replicas.count ?? 0 }
}

/// A topic to create: the declarative shape that `topics/` files hold.
public struct KafkaTopicSpecification: Sendable, Hashable {
    public var name: String
    public var partitions: Int
    public var replicationFactor: Int
    public var configs: [String: String]

    public init(name: String, partitions: Int, replicationFactor: Int, configs: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
    }
}

/// A consumer group as the cluster lists it.
public struct KafkaConsumerGroup: Sendable, Hashable {
    public var id: String
    /// The coordinator's state name: `Stable`, `PreparingRebalance`, `Empty`, `Dead`, ...
    public var state: String
    public var memberCount: Int
}

/// How far a group is behind on one partition.
public struct KafkaPartitionLag: Sendable, Hashable {
    public var partition: KafkaTopicPartition
    /// Next offset the group will read, or `nil` when the group never committed here.
    public var committed: Int64?
    public var logStart: Int64
    public var logEnd: Int64

    /// Records written and not yet committed; counted from the log start when nothing is committed.
    public var lag: Int64 { max(0, logEnd - max(committed ?? logStart, logStart)) }
}

/// One consumer group as its coordinator describes it (DescribeGroups).
public struct KafkaConsumerGroupDescription: Sendable, Hashable {
    /// A member of the group: a consumer process that joined and has not left or timed out.
    public struct Member: Sendable, Hashable {
        public var memberID: String
        public var clientID: String
        public var clientHost: String
    }

    public var id: String
    /// The coordinator's state name: `Stable`, `PreparingRebalance`, `CompletingRebalance`, `Empty`, `Dead`.
    public var state: String
    public var members: [Member]
}
