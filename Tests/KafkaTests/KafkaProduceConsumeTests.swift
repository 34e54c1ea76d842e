import Kafka
import RewardTestKit
import Testing

@Suite("Producer and consumer against a mock cluster")
struct KafkaProduceConsumeTests {
    /// Produces `count` records keyed "k<i>" and returns their delivery reports, all awaited.
    static func produce(_ count: Int, topic: String, producer: KafkaProducer, keyPrefix: String = "k")
        async throws -> [KafkaDeliveryReport]
    {
        let results = TestBox<[Result<KafkaDeliveryReport, KafkaError>]>([])
        for index in 0..<count {
            let message = KafkaProducerMessage(
                topic: topic, key: Array("\(keyPrefix)\(index)".utf8), value: Array("value-\(index)".utf8))
            try producer.send(message) { result in results.withLock { $0.append(result) } }
        }
        #expect(await producer.flush(timeout: .seconds(30)))
        let collected = results.value
        #expect(collected.count == count)
        return try collected.map { try $0.get() }
    }

    @Test("10,000 records acknowledged, consumed by a group, resumed at the committed offset")
    func acknowledgedConsumedAndResumed() async throws {
        let kafka = try TestKafkaCluster(name: "roundtrip")
        let topic = try kafka.makeTopic("roundtrip", partitions: 4)
        let producer = try KafkaProducer(configuration: kafka.producerConfiguration(), logger: kafka.logger)
        let reports = try await Self.produce(10_000, topic: topic, producer: producer)
        await producer.shutdown()

        // Every acknowledgement names a distinct offset, and each partition's offsets are 0..<n.
        let byPartition = Dictionary(grouping: reports, by: \.partition)
        #expect(byPartition.count == 4)
        for (_, partitionReports) in byPartition {
            #expect(partitionReports.map(\.offset).sorted() == Array(0..<Int64(partitionReports.count)))
        }

        let group = uniqueTestName("group")
        // First member: process 6,250 records, committing every 500; the last 250 stay uncommitted.
        let first = try KafkaConsumer(configuration: kafka.consumerConfiguration(group: group), logger: kafka.logger)
        try first.subscribe(topics: [topic])
        let firstRun = try await withDeadline(.seconds(60), "first consumer") {
            var processed: [KafkaTopicPartition: Int64] = [:]
            var committed: [KafkaTopicPartition: Int64] = [:]
            var seen = Set<String>()
            for try await message in first.messages {
                seen.insert("\(message.partition)/\(message.offset)")
                processed[message.topicPartition] = message.offset + 1
                if seen.count % 500 == 0 {
                    try await first.commit(processed)
                    committed = processed
                }
                if seen.count == 6_250 { break }
            }
            return (seen, committed)
        }
        await first.close()
        #expect(firstRun.0.count == 6_250)

        // Second member of the same group: starts exactly at the committed offsets.
        let second = try KafkaConsumer(configuration: kafka.consumerConfiguration(group: group), logger: kafka.logger)
        try second.subscribe(topics: [topic])
        let secondRun = try await withDeadline(.seconds(60), "second consumer") {
            var firstOffsets: [KafkaTopicPartition: Int64] = [:]
            var seen = Set<String>()
            var count = 0
            for try await message in second.messages {
                if firstOffsets[message.topicPartition] == nil { firstOffsets[message.topicPartition] = message.offset }
                seen.insert("\(message.partition)/\(message.offset)")
                count += 1
                if count == 4_000 { break }
            }
            return (firstOffsets, seen, count)
        }
        await second.close()

        for (partition, offset) in secondRun.0 {
            #expect(offset == firstRun.1[partition] ?? 0, "partition \(partition) resumed at \(offset)")
        }
        let union = firstRun.0.union(secondRun.1)
        #expect(union.count == 10_000, "nothing skipped")
        let repeated = firstRun.0.intersection(secondRun.1).count
        #expect(repeated == 250, "only the uncommitted tail is read twice")
    }

    @Test("A null value and an empty value arrive as nil and as empty bytes")
    func nullAndEmptyPayloads() async throws {
        let kafka = try TestKafkaCluster(name: "payloads")
        let topic = try kafka.makeTopic("payloads", partitions: 1)
        let producer = try KafkaProducer(configuration: kafka.producerConfiguration(), logger: kafka.logger)
        _ = try await producer.send(KafkaProducerMessage(topic: topic, key: nil, value: nil))
        _ = try await producer.send(KafkaProducerMessage(topic: topic, key: [], value: []))
        _ = try await producer.send(KafkaProducerMessage(
            topic: topic, key: [1], value: [0, 1, 2], headers: [KafkaHeader(name: "schema", value: Array("v1".utf8))]))
        await producer.shutdown()

        let consumer = try KafkaConsumer(configuration: kafka.consumerConfiguration(group: uniqueTestName("g")), logger: kafka.logger)
        try consumer.assign([KafkaTopicPartition(topic: topic, partition: 0): 0])
        let messages = try await withDeadline(.seconds(30)) {
            var messages: [KafkaConsumerMessage] = []
            for try await message in consumer.messages {
                messages.append(message)
                if messages.count == 3 { break }
            }
            return messages
        }
        await consumer.close()
        #expect(messages[0].value == nil)
        #expect(messages[0].key == nil)
        #expect(messages[1].value == [])
        #expect(messages[2].value == [0, 1, 2])
        #expect(messages[2].headers == [KafkaHeader(name: "schema", value: Array("v1".utf8))])
    }

    @Test("Paused partitions deliver nothing until resumed, then continue without a gap")
    func pauseAndResume() async throws {
        let kafka = try TestKafkaCluster(name: "pause")
        let topic = try kafka.makeTopic("pause", partitions: 2)
        let producer = try KafkaProducer(configuration: kafka.producerConfiguration(), logger: kafka.logger)
        for partition in Int32(0)...1 {
            for index in 0..<100 {
                try producer.send(KafkaProducerMessage(topic: topic, partition: partition, key: nil, value: Array("\(index)".utf8))) { _ in }
            }
        }
        #expect(await producer.flush(timeout: .seconds(30)))
        await producer.shutdown()

        let p0 = KafkaTopicPartition(topic: topic, partition: 0)
        let p1 = KafkaTopicPartition(topic: topic, partition: 1)
        let consumer = try KafkaConsumer(configuration: kafka.consumerConfiguration(group: uniqueTestName("g")), logger: kafka.logger)
        try consumer.assign([p0: 0, p1: 0])
        try consumer.pause([p0])
        let (whilePaused, afterResume) = try await withDeadline(.seconds(30)) {
            var whilePaused: [KafkaConsumerMessage] = []
            var afterResume: [KafkaConsumerMessage] = []
            var iterator = consumer.messages.makeAsyncIterator()
            while whilePaused.count < 100, let message = try await iterator.next() { whilePaused.append(message) }
            // Give the paused partition time to (wrongly) deliver before resuming it.
            try await Task.sleep(for: .seconds(1))
            try consumer.resume([p0])
            while afterResume.count < 100, let message = try await iterator.next() { afterResume.append(message) }
            return (whilePaused, afterResume)
        }
        await consumer.close()
        #expect(whilePaused.allSatisfy { $0.partition == 1 })
        #expect(afterResume.allSatisfy { $0.partition == 0 })
        #expect(afterResume.map(\.offset) == Array(0..<100))
    }

    @Test("A broker down and up again while producing loses nothing")
    func brokerDownWhileProducing() async throws {
        let kafka = try TestKafkaCluster(name: "brokerdown")
        let topic = try kafka.makeTopic("brokerdown", partitions: 3)
        let producer = try KafkaProducer(configuration: kafka.producerConfiguration(), logger: kafka.logger)
        let results = TestBox<[Result<KafkaDeliveryReport, KafkaError>]>([])
        for index in 0..<5_000 {
            if index == 1_000 { try kafka.cluster.setBrokerDown(1) }
            if index == 4_000 { try kafka.cluster.setBrokerUp(1) }
            try producer.send(KafkaProducerMessage(topic: topic, key: Array("k\(index)".utf8), value: Array("\(index)".utf8))) {
                result in results.withLock { $0.append(result) }
            }
            if index % 500 == 0 { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(await producer.flush(timeout: .seconds(60)))
        await producer.shutdown()
        let failures = results.value.filter { if case .failure = $0 { true } else { false } }
        #expect(results.value.count == 5_000)
        #expect(failures.isEmpty, "\(failures.count) failed, first: \(String(describing: failures.first))")

        let consumer = try KafkaConsumer(configuration: kafka.consumerConfiguration(group: uniqueTestName("g")), logger: kafka.logger)
        try consumer.assign(Dictionary(uniqueKeysWithValues: (0..<3).map { (KafkaTopicPartition(topic: topic, partition: $0), Int64(0)) }))
        let keys = try await withDeadline(.seconds(60)) {
            var keys = Set<String>()
            for try await message in consumer.messages {
                keys.insert(String(decoding: message.key ?? [], as: UTF8.self))
                if keys.count == 5_000 { break }
            }
            return keys
        }
        await consumer.close()
        #expect(keys.count == 5_000)
    }

    @Test("A committed offset outside the log stops the consumer with offsetOutOfRange")
    func outOfRangeOffsetIsAnError() async throws {
        let kafka = try TestKafkaCluster(name: "range")
        let topic = try kafka.makeTopic("range", partitions: 1)
        let producer = try KafkaProducer(configuration: kafka.producerConfiguration(), logger: kafka.logger)
        _ = try await Self.produce(10, topic: topic, producer: producer)
        await producer.shutdown()

        let group = uniqueTestName("g")
        let partition = KafkaTopicPartition(topic: topic, partition: 0)
        let committer = try KafkaConsumer(configuration: kafka.consumerConfiguration(group: group), logger: kafka.logger)
        try committer.assign([partition: 0])
        try await committer.commit([partition: 1_000])
        await committer.close()

        let consumer = try KafkaConsumer(configuration: kafka.consumerConfiguration(group: group), logger: kafka.logger)
        try consumer.subscribe(topics: [topic])
        let outcome: Result<Int, any Error> = await Result(catching: {
            try await withDeadline(.seconds(30)) {
                var count = 0
                for try await _ in consumer.messages { count += 1 }
                return count
            }
        })
        await consumer.close()
        #expect(throws: KafkaError.self) { try outcome.get() }
        if case .failure(let error as KafkaError) = outcome {
            #expect(error.code == .offsetOutOfRange)
            #expect(!error.isRetriable)
        }
    }

    @Test("Producing to a shut-down producer throws instead of crashing")
    func sendAfterShutdown() async throws {
        let kafka = try TestKafkaCluster(name: "closed")
        let topic = try kafka.makeTopic("closed", partitions: 1)
        let producer = try KafkaProducer(configuration: kafka.producerConfiguration(), logger: kafka.logger)
        await producer.shutdown()
        #expect(throws: KafkaError.self) {
            try producer.send(KafkaProducerMessage(topic: topic, key: nil, value: [1])) { _ in }
        }
    }

    @Test("A configuration that tries to turn off idempotence is refused")
    func fixedPropertiesCannotBeOverridden() throws {
        var configuration = KafkaProducerConfiguration(bootstrapServers: ["127.0.0.1:1"])
        configuration.additionalProperties["enable.idempotence"] = "false"
        #expect(throws: KafkaError.self) { try KafkaProducer(configuration: configuration, logger: makeTestLogger("t")) }
        configuration.additionalProperties = ["no.such.property": "1"]
        do {
            _ = try KafkaProducer(configuration: configuration, logger: makeTestLogger("t"))
            Issue.record("an unknown property was accepted")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains("no.such.property"))
        }
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
