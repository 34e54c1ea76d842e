import Kafka
import RewardTestKit
import Synchronization
import Testing

/// Reading a group's committed offsets is what `reward-admin lag`, `offsets show` and `drain` do,
/// often while the lane runs: it must not disturb the group it reads.
@Suite("Committed offsets of a live group")
struct KafkaCommittedOffsetsTests {
    @Test("Reading a live group's offsets 48 times over 12 s answers each time and never moves its partitions")
    func readingDoesNotRebalance() async throws {
        let kafka = try TestKafkaCluster(name: "committed")
        let topic = try kafka.makeTopic("committed", partitions: 2)
        let group = uniqueTestName("g")
        let p0 = KafkaTopicPartition(topic: topic, partition: 0)
        let member = try await KafkaGroupOffsetsTests.join(kafka, group: group, topic: topic)
        try await member.commit([p0: 7])
        let moves = Atomic<Int>(0)
        let polling = Task {
            for try await event in member.events {
                switch event {
                case .partitionsAssigned, .partitionsRevoked: moves.add(1, ordering: .relaxed)
                case .message: break
                }
            }
        }

        let admin = try KafkaAdmin(bootstrapServers: kafka.bootstrapServers, logger: kafka.logger)
        var answers: [Int64?] = []
        for _ in 0..<48 {
            answers.append(try await admin.committedOffsets(group: group, partitions: [p0])[p0] ?? nil)
            try await Task.sleep(for: .milliseconds(250))
        }
        polling.cancel()
        await member.close()
        #expect(answers.allSatisfy { $0 == 7 }, "\(answers)")
        #expect(moves.load(ordering: .relaxed) == 0, "the group rebalanced while it was read")
    }

    @Test("A group that never committed reads as nil; one the cluster does not know at all too")
    func nothingCommitted() async throws {
        let kafka = try TestKafkaCluster(name: "committed-none")
        let topic = try kafka.makeTopic("committed", partitions: 2)
        let admin = try KafkaAdmin(bootstrapServers: kafka.bootstrapServers, logger: kafka.logger)
        let partitions = [KafkaTopicPartition(topic: topic, partition: 0), KafkaTopicPartition(topic: topic, partition: 1)]
        let offsets = try await admin.committedOffsets(group: uniqueTestName("never"), partitions: partitions)
        #expect(offsets.count == 2)
        #expect(offsets.values.allSatisfy { $0 == nil })
    }
}
