import Kafka
@testable import RewardConsumer
import RewardTestKit
import Testing

/// librdkafka keeps a partition paused across a rebalance; the lane forgets why it paused it when
/// the partition is revoked. Found by `reward-bench chaos` seed 2: a retry partition paused for a
/// record's wait, revoked and assigned back, was never fetched again.
@Suite("A partition assigned again is fetched, whatever paused it before")
struct PartitionPausesTests {
    @Test("Paused for a retry wait, revoked, assigned back: its records arrive")
    func pausedThenReassigned() async throws {
        let cluster = try TestKafkaCluster(name: uniqueTestName("pauses"))
        try cluster.cluster.createTopic("pauses", partitions: 1, replicationFactor: 1)
        let partition = KafkaTopicPartition(topic: "pauses", partition: 0)
        let consumer = try KafkaConsumer(configuration: cluster.consumerConfiguration(group: uniqueTestName("pauses")),
                                         logger: makeTestLogger("pauses"))
        defer { Task { await consumer.close() } }
        let pauses = PartitionPauses(consumer: consumer)

        try consumer.assign([partition: 0])
        pauses.assigned([partition])
        pauses.set(partition, .retryWait, true)
        // The rebalance: the lane forgets the partition (its wait's reason with it), then gets it back.
        pauses.revoke([partition])
        try consumer.assign([:])
        try consumer.assign([partition: 0])
        pauses.assigned([partition])
        // The wait that paused it ends after the revoke: it finds no reason of its own to clear.
        pauses.set(partition, .retryWait, false)

        let producer = try KafkaProducer(configuration: cluster.producerConfiguration(), logger: makeTestLogger("pauses"))
        _ = try await producer.send(KafkaProducerMessage(topic: "pauses", partition: 0, key: Array("k".utf8), value: Array("v".utf8)))
        await producer.shutdown()

        let received = try await withDeadline(.seconds(15), "the record of the partition assigned again") { () -> Bool in
            for try await message in consumer.messages where message.topic == "pauses" { return true }
            return false
        }
        #expect(received)
    }
}
