import Kafka
import Logging
import RewardCore

/// The SDK's connection to one cluster: its producer, rebuilt after a fatal error.
///
/// An idempotent producer that loses its guarantees (for example an out-of-order sequence number)
/// raises a fatal error and refuses everything afterwards. The first delivery report that says so
/// makes the link build a new producer; the old one is shut down in the background, which fails
/// whatever it still held, and those grants go to the other cluster or the spool as any failure
/// would: nothing unacknowledged is lost, and a duplicate is absorbed by order id.
final class ClusterLink: Sendable {
    typealias ProducerFactory = @Sendable () throws(KafkaError) -> KafkaProducer

    let name: ClusterName
    private let renewing: RenewingProducer
    private let scheduler: DeadlineScheduler

    init(name: ClusterName, makeProducer: @escaping ProducerFactory, scheduler: DeadlineScheduler, logger: Logger) throws(KafkaError) {
        self.name = name
        var logger = logger
        logger[metadataKey: "cluster"] = "\(name)"
        self.renewing = try RenewingProducer(logger: logger, make: makeProducer)
        self.scheduler = scheduler
    }

    /// The producer in use now.
    var producer: KafkaProducer { renewing.producer }

    /// Producers built to replace one that hit a fatal error.
    var rebuildCount: Int { renewing.renewals }

    /// Hands one record to the cluster; `completion` gets the result and the time to it (ns).
    func send(topic: String, key: [UInt8], value: [UInt8],
              completion: @escaping @Sendable (Result<Void, KafkaError>, UInt64) -> Void) {
        let (producer, generation) = renewing.producerAndGeneration
        let sent = MonotonicClock.now()
        do throws(KafkaError) {
            try producer.send(KafkaProducerMessage(topic: topic, key: key, value: value)) { [self] result in
                let latency = MonotonicClock.now() &- sent
                switch result {
                case .success:
                    completion(.success(()), latency)
                case .failure(let error):
                    if error.isFatal { rebuild(after: generation, error) }
                    completion(.failure(error), latency)
                }
            }
        } catch {
            if error.isFatal || producer.hasFatalError { rebuild(after: generation, error) }
            completion(.failure(error), 0)
        }
    }

    /// Produces every record and waits until each has a result or `deadline` passes.
    /// - Returns: each record's outcome, in `batch` order (spool replay resends only the failed ones).
    func deliver(batch: [SpoolRecord], deadline: UInt64) async -> BatchDelivery.BatchResult {
        guard !batch.isEmpty else { return BatchDelivery.BatchResult(outcomes: []) }
        let (producer, generation) = renewing.producerAndGeneration
        return await withUnsafeContinuation { continuation in
            let delivery = BatchDelivery(count: batch.count, continuation: continuation)
            for (index, record) in batch.enumerated() {
                do throws(KafkaError) {
                    try producer.send(KafkaProducerMessage(topic: record.topic, key: record.key, value: record.value)) { [self] result in
                        switch result {
                        case .success: delivery.record(index, .acknowledged)
                        case .failure(let error):
                            if error.isFatal { rebuild(after: generation, error) }
                            delivery.record(index, .failed(error))
                        }
                    }
                } catch {
                    delivery.record(index, .failed(error))
                }
            }
            scheduler.schedule(delivery, deadline: deadline)
        }
    }

    /// Replaces the producer of `generation` (once, whoever notices first); what the old one
    /// still held fails over as any failure would.
    private func rebuild(after generation: Int, _ error: KafkaError) {
        renewing.renew(after: generation, error)
    }

    /// Waits until the cluster can take grants without first discovering it (see ``KafkaProducer/waitUntilReady(topics:timeout:)``).
    func waitUntilReady(topics: [String], timeout: Duration) async throws(KafkaError) {
        try await producer.waitUntilReady(topics: topics, timeout: timeout)
    }

    func shutdown(flushTimeout: Duration) async {
        await producer.shutdown(timeout: flushTimeout)
    }
}
