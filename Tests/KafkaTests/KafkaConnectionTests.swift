import Foundation
@testable import Kafka
import RewardTestKit
import Testing

/// A cluster's connection properties: what may be set, where secrets come from, and that every
/// kind of client really uses them.
@Suite("Connection properties of a cluster")
struct KafkaConnectionTests {
    @Test("Only connection properties pass; delivery and commit settings are refused by name")
    func onlyConnectionProperties() throws {
        for name in ["acks", "enable.idempotence", "enable.auto.commit", "message.timeout.ms", "isolation.level", "group.id",
                     "bootstrap.servers", "partitioner", "plugin.library.paths",
                     // ssl./sasl. names that would run a command or load code as the service
                     "sasl.kerberos.kinit.cmd", "ssl.engine.location", "ssl.providers"] {
            let error = #expect(throws: KafkaError.self) {
                try KafkaConnection(bootstrapServers: ["127.0.0.1:1"], properties: [name: "1"], secretFiles: [:])
            }
            #expect(error?.code == .invalidConfiguration)
            #expect(error?.message.contains("property \(name) is not a connection property") == true, "\(String(describing: error))")
        }
        let allowed = try KafkaConnection(bootstrapServers: ["127.0.0.1:1"], properties: [
            "security.protocol": "sasl_ssl", "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": "festival",
            "ssl.ca.location": "/etc/ssl/certs/ca-certificates.crt", "client.id": "reward-a", "socket.timeout.ms": "30000",
        ], secretFiles: [:])
        #expect(allowed.properties["sasl.username"] == "festival")
    }

    @Test("A value librdkafka refuses stops the connection at once, named")
    func librdkafkaChecksValues() {
        let error = #expect(throws: KafkaError.self) {
            try KafkaConnection(bootstrapServers: ["127.0.0.1:1"], properties: ["security.protocol": "carrier_pigeon"], secretFiles: [:])
        }
        #expect(error?.message.contains("security.protocol") == true, "\(String(describing: error))")
    }

    @Test("Secrets come from files only, are trimmed of the newline, and are never printed")
    func secretsFromFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueTestName("secrets"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func file(_ name: String, _ data: Data) throws -> String {
            let path = directory.appendingPathComponent(name).path
            try data.write(to: URL(fileURLWithPath: path))
            return path
        }

        let inline = #expect(throws: KafkaError.self) {
            try KafkaConnection(bootstrapServers: ["127.0.0.1:1"], properties: ["sasl.password": "hunter2"], secretFiles: [:])
        }
        #expect(inline?.message.contains("sasl.password is a secret") == true)
        #expect(inline?.message.contains("hunter2") == false)

        let password = try file("password", Data("s3cr3t-value\n".utf8))
        let connection = try KafkaConnection(bootstrapServers: ["127.0.0.1:1"], properties: ["sasl.username": "festival"],
                                             secretFiles: ["sasl.password": password])
        #expect(connection.properties["sasl.password"] == "s3cr3t-value")
        #expect(connection.description.contains("sasl.password=<redacted>"))
        #expect(!connection.description.contains("s3cr3t"))

        let bad: [(String, String)] = [
            (directory.appendingPathComponent("absent").path, "does not exist"),
            (try file("empty", Data("\n".utf8)), "is empty"),
            (try file("nul", Data([0x61, 0x00, 0x62])), "not UTF-8 text"),
            (try file("huge", Data(repeating: 0x61, count: 65_537)), "larger than 64 KiB"),
        ]
        for (path, words) in bad {
            let error = #expect(throws: KafkaError.self) {
                try KafkaConnection(bootstrapServers: ["127.0.0.1:1"], properties: [:], secretFiles: ["sasl.password": path])
            }
            #expect(error?.message.contains(words) == true, "\(path): \(String(describing: error))")
        }
        let notConnection = #expect(throws: KafkaError.self) {
            try KafkaConnection(bootstrapServers: ["127.0.0.1:1"], properties: [:], secretFiles: ["acks": password])
        }
        #expect(notConnection?.message.contains("not a connection property") == true)
    }

    @Test("Every kind of client lays the connection's properties over its own, never over its guarantees")
    func everyClientUsesTheConnection() throws {
        let connection = try KafkaConnection(bootstrapServers: ["127.0.0.1:9"],
                                             properties: ["security.protocol": "ssl", "client.id": "festival-a"], secretFiles: [:])
        let producer = try KafkaProducerConfiguration(connection: connection).properties()
        let consumer = try KafkaConsumerConfiguration(connection: connection, groupID: "g").properties()
        let writer = try KafkaGroupOffsetWriter(connection: connection, groupID: "g").properties()
        for properties in [producer, consumer, writer] {
            #expect(properties["security.protocol"] == "ssl")
            #expect(properties["client.id"] == "festival-a")
            #expect(properties["bootstrap.servers"] == "127.0.0.1:9")
        }
        #expect(producer["enable.idempotence"] == "true" && producer["acks"] == "all")
        #expect(consumer["enable.auto.commit"] == "false" && consumer["group.id"] == "g")
    }

    @Test("Against a plaintext broker, TLS properties make admin and producer fail; without them both work")
    func propertiesReachLibrdkafka() async throws {
        let kafka = try TestKafkaCluster(name: "connection")
        let topic = try kafka.makeTopic("connection", partitions: 1, replicationFactor: 1)
        let secured = try KafkaConnection(bootstrapServers: kafka.bootstrapServers,
                                          properties: ["security.protocol": "ssl", "enable.ssl.certificate.verification": "false"],
                                          secretFiles: [:])
        let plain = try KafkaConnection(bootstrapServers: kafka.bootstrapServers, properties: ["client.id": "festival"], secretFiles: [:])

        let plainAdmin = try KafkaAdmin(connection: plain, requestTimeout: .seconds(10), logger: kafka.logger)
        #expect(try await plainAdmin.describeTopics([topic]).map(\.name) == [topic])
        let securedAdmin = try KafkaAdmin(connection: secured, requestTimeout: .seconds(3), logger: kafka.logger)
        await #expect(throws: KafkaError.self) { try await securedAdmin.describeTopics([topic]) }

        #expect(try await produceOne(to: topic, over: plain, logger: kafka))
        #expect(try await produceOne(to: topic, over: secured, logger: kafka) == false)
    }

    private func produceOne(to topic: String, over connection: KafkaConnection, logger kafka: TestKafkaCluster) async throws -> Bool {
        var configuration = KafkaProducerConfiguration(connection: connection)
        configuration.messageTimeout = .seconds(3)
        configuration.statisticsInterval = nil
        let producer = try KafkaProducer(configuration: configuration, logger: kafka.logger)
        let delivered = (try? await producer.send(KafkaProducerMessage(topic: topic, partition: 0, key: nil, value: [1]))) != nil
        await producer.shutdown(timeout: .seconds(1))
        return delivered
    }
}
