public import Kafka
public import Logging

/// A librdkafka mock cluster hosted inside the test process, with helpers to make topics and
/// clients that are tuned for tests (short session timeouts, no statistics).
///
/// Each test makes its own cluster or its own topics, so tests can run in parallel.
public final class TestKafkaCluster: Sendable {
    public let cluster: KafkaMockCluster
    public let logger: Logger

    public init(name: String = "test", brokers: Int = 3) throws {
        logger = makeTestLogger("test-kafka-\(name)")
        cluster = try KafkaMockCluster(name: name, brokers: brokers, logger: logger)
    }

    public var bootstrapServers: [String] { [cluster.bootstrapServers] }

    /// Creates a topic with a unique name built from `prefix` and returns the name.
    public func makeTopic(_ prefix: String, partitions: Int = 4, replicationFactor: Int = 3) throws -> String {
        let name = uniqueTestName(prefix)
        try cluster.createTopic(name, partitions: partitions, replicationFactor: min(replicationFactor, cluster.brokerCount))
        return name
    }

    public func producerConfiguration(clientID: String = "test-producer") -> KafkaProducerConfiguration {
        var configuration = KafkaProducerConfiguration(bootstrapServers: bootstrapServers)
        configuration.clientID = clientID
        configuration.statisticsInterval = nil
        return configuration
    }

    /// A consumer configuration with a 6 s session timeout, so rejoins in tests take seconds.
    public func consumerConfiguration(group: String) -> KafkaConsumerConfiguration {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: bootstrapServers, groupID: group)
        configuration.sessionTimeout = .seconds(6)
        configuration.statisticsInterval = nil
        return configuration
    }
}
