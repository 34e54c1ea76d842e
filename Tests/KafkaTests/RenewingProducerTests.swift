import Kafka
import RewardTestKit
import Testing

/// The producer long-lived processes park records with (`Parking`): a fatal error must not
/// leave it refusing every record for good (chaos seed 5: four partitions stuck on parking).
@Suite("A producer that renews itself after a fatal error")
struct RenewingProducerTests {
    @Test("OUT_OF_ORDER_SEQUENCE_NUMBER fails a send and makes the producer fatal; the next send goes out on a new producer, every record lands once")
    func renewsAfterAFatalError() async throws {
        let kafka = try TestKafkaCluster(name: "renewing")
        let topic = try kafka.makeTopic("renewing", partitions: 1)
        let producer = try RenewingProducer(logger: kafka.logger) { () throws(KafkaError) in
            try KafkaProducer(configuration: kafka.producerConfiguration(), logger: kafka.logger)
        }
        func record(_ index: Int) -> KafkaProducerMessage {
            KafkaProducerMessage(topic: topic, key: Array("k\(index)".utf8), value: Array("v\(index)".utf8))
        }
        _ = try await producer.send(record(0))
        let first = producer.producer
        kafka.cluster.pushRequestErrors(.produce, [KafkaError.Code(rawValue: 45)])  // OUT_OF_ORDER_SEQUENCE_NUMBER
        var failed: [KafkaError] = []
        var landed = 1
        for index in 1...20 {
            do {
                _ = try await producer.send(record(index))
                landed += 1
            } catch let error as KafkaError {
                failed.append(error)
            }
        }
        // The send that met it fails (its report says OUT_OF_ORDER_SEQUENCE_NUMBER; the producer
        // itself then holds the fatal error, which is what renews it, and the old one is closed).
        #expect(!failed.isEmpty, "the injected error failed a send")
        #expect(producer.renewals == 1, "one renewal for one fatal error, however many sends saw it")
        #expect(producer.producer !== first)
        #expect(!producer.producer.hasFatalError)
        #expect(landed >= 19, "only the send that met the error failed: \(landed) of 21 landed, failures: \(failed)")
        // What the cluster holds: each acknowledged record once (a renewed producer gets a new id).
        let consumer = try KafkaConsumer(configuration: kafka.consumerConfiguration(group: uniqueTestName("renewing")), logger: kafka.logger)
        try consumer.subscribe(topics: [topic])
        let read = TestBox([String]())
        let wanted = landed
        try await withDeadline(.seconds(30), "reading back") {
            for try await event in consumer.events {
                if case .message(let message) = event { read.withLock { $0.append(String(decoding: message.key ?? [], as: UTF8.self)) } }
                if read.value.count >= wanted { break }
            }
        }
        let keys = read.value
        await consumer.close()
        #expect(keys.count == landed && Set(keys).count == landed, "\(keys.count) records read, \(Set(keys).count) distinct")
        await producer.shutdown()
    }
}
