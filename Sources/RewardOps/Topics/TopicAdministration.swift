public import Kafka
public import Logging
public import RewardCore

/// What `topics apply` needs from a cluster: read its topics, create missing ones.
public protocol TopicAdministration: Sendable {
    func describe(_ names: [String]) async throws -> [KafkaTopicDescription]
    /// Non-default configs of a topic, or `nil` when the cluster cannot say (mock clusters).
    func configs(of topic: String) async throws -> [String: String]?
    func create(_ definition: TopicDefinition) async throws
}

/// A real Kafka cluster, through the admin API.
public struct KafkaTopicAdministration: TopicAdministration {
    let admin: KafkaAdmin

    public init(admin: KafkaAdmin) { self.admin = admin }

    public func describe(_ names: [String]) async throws -> [KafkaTopicDescription] {
        try await admin.describeTopics(names)
    }

    public func configs(of topic: String) async throws -> [String: String]? {
        try await admin.describeTopicConfigs(topic)
    }

    public func create(_ definition: TopicDefinition) async throws {
        let outcome = try await admin.createTopics([KafkaTopicSpecification(
            name: definition.name, partitions: definition.partitions,
            replicationFactor: definition.replicationFactor, configs: definition.configs)])
        try outcome[definition.name]?.get()
    }
}

/// A dev cluster hosted by `reward-admin dev-kafka`: metadata through Kafka, creation through
/// the host's control channel (the mock implements no CreateTopics).
public struct MockTopicAdministration: TopicAdministration {
    let admin: KafkaAdmin
    let control: KafkaMockControlClient
    let cluster: ClusterName

    public init(admin: KafkaAdmin, control: KafkaMockControlClient, cluster: ClusterName) {
        self.admin = admin
        self.control = control
        self.cluster = cluster
    }

    public func describe(_ names: [String]) async throws -> [KafkaTopicDescription] {
        try await admin.describeTopics(names)
    }

    public func configs(of topic: String) async throws -> [String: String]? { nil }

    public func create(_ definition: TopicDefinition) async throws {
        try await control.createTopic(cluster: cluster.rawValue, topic: definition.name,
                                      partitions: definition.partitions, replicationFactor: definition.replicationFactor)
    }
}

extension ClusterDirectory {
    /// The administration of one cluster: through the dev host's control channel when the
    /// directory names one (a mock cluster), else the admin API.
    public func topicAdministration(_ cluster: ClusterName, logger: Logger) throws -> any TopicAdministration {
        let entry = try entry(cluster)
        let admin = try KafkaAdmin(connection: try connection(cluster), logger: logger)
        if let control = entry.control {
            return MockTopicAdministration(admin: admin, control: try KafkaMockControlClient(address: control), cluster: cluster)
        }
        return KafkaTopicAdministration(admin: admin)
    }
}
