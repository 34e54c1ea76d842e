import Kafka
import RewardCore

/// The SDK's connection to one cluster: its producer and deadline-bounded deliveries.
final class ClusterLink: Sendable {
    let name: ClusterName
    let producer: KafkaProducer
    private let scheduler: DeadlineScheduler

    init(name: ClusterName, producer: KafkaProducer, scheduler: DeadlineScheduler) {
        self.name = name
        self.producer = producer
        self.scheduler = scheduler
    }

    /// Produces one record and waits for its acknowledgement until `deadline` (monotonic ns).
    func deliver(topic: String, key: [UInt8], value: [UInt8], deadline: UInt64) async -> DeliveryOutcome {
        await withUnsafeContinuation { continuation in
            let attempt = DeliveryAttempt(continuation: continuation)
            do throws(KafkaError) {
                try producer.send(KafkaProducerMessage(topic: topic, key: key, value: value)) { result in
                    switch result {
                    case .success: attempt.complete(.acknowledged)
                    case .failure(let error): attempt.complete(.failed(error))
                    }
                }
            } catch {
                attempt.complete(.failed(error))
                return
            }
            scheduler.schedule(attempt, deadline: deadline)
        }
    }

    /// Produces every record and waits until each has a result or `deadline` passes.
    /// - Returns: each record's outcome, in `batch` order (spool replay resends only the failed ones).
    func deliver(batch: [SpoolRecord], deadline: UInt64) async -> BatchDelivery.BatchResult {
        guard !batch.isEmpty else { return BatchDelivery.BatchResult(outcomes: []) }
        return await withUnsafeContinuation { continuation in
            let delivery = BatchDelivery(count: batch.count, continuation: continuation)
            for (index, record) in batch.enumerated() {
                do throws(KafkaError) {
                    try producer.send(KafkaProducerMessage(topic: record.topic, key: record.key, value: record.value)) { result in
                        switch result {
                        case .success: delivery.record(index, .acknowledged)
                        case .failure(let error): delivery.record(index, .failed(error))
                        }
                    }
                } catch {
                    delivery.record(index, .failed(error))
                }
            }
            scheduler.schedule(delivery, deadline: deadline)
        }
    }

    func shutdown(flushTimeout: Duration) async {
        await producer.shutdown(timeout: flushTimeout)
    }
}
