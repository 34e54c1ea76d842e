import Kafka
import RewardTestKit
import Testing

@Suite("Admin and the mock cluster host")
struct KafkaAdminTests {
    @Test("Describe, watermarks, committed offsets and lag")
    func describeAndLag() async throws {
        let kafka = try TestKafkaCluster(name: "admin")
        let topic = try kafka.makeTopic("admin", partitions: 3, replicationFactor: 3)
        let admin = try KafkaAdmin(bootstrapServers: kafka.bootstrapServers, logger: kafka.logger)

        let described = try await admin.describeTopics([topic])
        #expect(described.map(\.name) == [topic])
        #expect(described.first?.partitions.count == 3)
        #expect(described.first?.replicationFactor == 3)

        let producer = try KafkaProducer(configuration: kafka.producerConfiguration(), logger: kafka.logger)
        for index in 0..<30 {
            try producer.send(KafkaProducerMessage(topic: topic, partition: Int32(index % 3), key: nil, value: [UInt8(index)])) { _ in }
        }
        #expect(await producer.flush(timeout: .seconds(30)))
        await producer.shutdown()

        let p0 = KafkaTopicPartition(topic: topic, partition: 0)
        let marks = try await admin.watermarks(p0)
        #expect(marks.low == 0)
        #expect(marks.high == 10)

        let group = uniqueTestName("g")
        let committer = try KafkaConsumer(configuration: kafka.consumerConfiguration(group: group), logger: kafka.logger)
        try committer.assign([p0: 0])
        try await committer.commit([p0: 4])
        await committer.close()

        let lag = try await admin.lag(group: group, topic: topic)
        #expect(lag.count == 3)
        #expect(lag.first { $0.partition == p0 }?.committed == 4)
        #expect(lag.first { $0.partition == p0 }?.lag == 6)
        // Never committed: everything in the log is lag.
        #expect(lag.first { $0.partition.partition == 1 }?.committed == nil)
        #expect(lag.first { $0.partition.partition == 1 }?.lag == 10)
    }

    @Test("The mock cluster refuses CreateTopics as unsupported rather than hanging")
    func createTopicsUnsupportedOnMock() async throws {
        let kafka = try TestKafkaCluster(name: "create")
        let admin = try KafkaAdmin(bootstrapServers: kafka.bootstrapServers, requestTimeout: .seconds(5), logger: kafka.logger)
        let name = uniqueTestName("created")
        do {
            let outcome = try await admin.createTopics([KafkaTopicSpecification(name: name, partitions: 2, replicationFactor: 1)])
            let error = try #require(outcome[name].flatMap { if case .failure(let error) = $0 { error } else { nil } })
            #expect(error.code == .unsupportedFeature || error.code == .timedOut)
        } catch let error as KafkaError {
            #expect(error.code == .unsupportedFeature || error.code == .timedOut)
        }
    }

    @Test("The control channel creates topics, takes a cluster down and reports bad requests")
    func controlChannel() async throws {
        let kafka = try TestKafkaCluster(name: "ctl")
        let server = try KafkaMockControlServer(clusters: [kafka.cluster], logger: kafka.logger)
        defer { server.shutdown() }
        let client = try KafkaMockControlClient(address: server.address)

        let description = try await client.describe(cluster: "ctl")
        #expect(description.bootstrapServers == kafka.cluster.bootstrapServers)
        #expect(description.brokers == 3)

        let topic = uniqueTestName("viactl")
        // The mock ignores the requested replication factor and always uses min(3, brokers).
        try await client.createTopic(cluster: "ctl", topic: topic, partitions: 5, replicationFactor: 3)
        let admin = try KafkaAdmin(bootstrapServers: kafka.bootstrapServers, logger: kafka.logger)
        let described = try await admin.describeTopics([topic])
        #expect(described.first?.partitions.count == 5)
        #expect(described.first?.replicationFactor == 3)

        await #expect(throws: KafkaError.self) {
            try await client.createTopic(cluster: "nope", topic: "x", partitions: 1, replicationFactor: 1)
        }
        await #expect(throws: KafkaError.self) {
            try await client.createTopic(cluster: "ctl", topic: "y", partitions: 1, replicationFactor: 9)
        }
        #expect(throws: KafkaError.self) { try KafkaMockControlClient(address: "no-port") }
    }
}
