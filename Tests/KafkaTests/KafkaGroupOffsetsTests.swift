import Kafka
import RewardTestKit
import Testing

/// Setting a group's offsets from outside it, on the mock clusters that refuse non-member commits.
@Suite("Group offsets from outside the group")
struct KafkaGroupOffsetsTests {
    @Test("After a member has come and gone, a non-member commit is refused; the writer commits as the group's only member")
    func writerCommitsAsOnlyMember() async throws {
        let kafka = try TestKafkaCluster(name: "offsets")
        let topic = try kafka.makeTopic("offsets", partitions: 3)
        let group = uniqueTestName("g")
        let p0 = KafkaTopicPartition(topic: topic, partition: 0)
        try await Self.joinAndLeave(kafka, group: group, topic: topic)

        let outsider = try KafkaConsumer(configuration: kafka.consumerConfiguration(group: group), logger: kafka.logger)
        try outsider.assign([p0: 0])
        await #expect(throws: KafkaError.self, "the mock keeps the group and refuses commits from non-members") {
            try await outsider.commit([p0: 5])
        }
        await outsider.close()

        let writer = KafkaGroupOffsetWriter(bootstrapServers: kafka.bootstrapServers, groupID: group)
        let committed = try await writer.commit([p0: 0], topic: topic, partitionCount: 3, logger: kafka.logger)
        #expect(committed[p0] == 0)
        let admin = try KafkaAdmin(bootstrapServers: kafka.bootstrapServers, logger: kafka.logger)
        #expect(try await admin.committedOffsets(group: group, partitions: [p0])[p0] == .some(0))
    }

    @Test("A live member keeps the writer from committing: it is assigned only part of the topic and commits nothing")
    func writerRefusesWhileAMemberIsLive() async throws {
        let kafka = try TestKafkaCluster(name: "offsets-live")
        let topic = try kafka.makeTopic("offsets", partitions: 4)
        let group = uniqueTestName("g")
        let p0 = KafkaTopicPartition(topic: topic, partition: 0)
        let member = try await Self.join(kafka, group: group, topic: topic)
        // A live member polls: it rejoins when the writer's join rebalances the group.
        let polling = Task { for try await _ in member.events {} }

        let writer = KafkaGroupOffsetWriter(bootstrapServers: kafka.bootstrapServers, groupID: group)
        do {
            _ = try await writer.commit([p0: 1], topic: topic, partitionCount: 4, logger: kafka.logger)
            Issue.record("the writer committed beside a live member")
        } catch let error as KafkaError {
            #expect(error.code == .groupNotEmpty, "\(error)")
        }
        polling.cancel()
        await member.close()
        let admin = try KafkaAdmin(bootstrapServers: kafka.bootstrapServers, logger: kafka.logger)
        let committed = try await admin.committedOffsets(group: group, partitions: [p0])
        #expect(committed[p0] == .some(nil), "nothing was committed")
    }

    /// A consumer with the lane consumers' session timeout (10 s) joins `group` and is assigned `topic`.
    static func join(_ kafka: TestKafkaCluster, group: String, topic: String) async throws -> KafkaConsumer {
        var configuration = kafka.consumerConfiguration(group: group)
        configuration.sessionTimeout = .seconds(10)
        let member = try KafkaConsumer(configuration: configuration, logger: kafka.logger)
        try member.subscribe(topics: [topic])
        _ = try await withDeadline(.seconds(30), "the member's assignment") {
            for try await event in member.events {
                if case .partitionsAssigned = event { return true }
            }
            return false
        }
        return member
    }

    /// A member joins and leaves at once: the mock rebalances for the rest of its session timeout,
    /// and a writer joining meanwhile must outlast that wait.
    static func joinAndLeave(_ kafka: TestKafkaCluster, group: String, topic: String) async throws {
        let member = try await Self.join(kafka, group: group, topic: topic)
        await member.close()
    }
}
