import Kafka
import Logging
import RewardCore
import Synchronization

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
    private let makeProducer: ProducerFactory
    private let current: Mutex<(producer: KafkaProducer, generation: Int)>
    private let scheduler: DeadlineScheduler
    private let logger: Logger
    private let rebuilt = Atomic<Int>(0)

    init(name: ClusterName, makeProducer: @escaping ProducerFactory, scheduler: DeadlineScheduler, logger: Logger) throws(KafkaError) {
        self.name = name
        self.makeProducer = makeProducer
        self.current = Mutex((try makeProducer(), 0))
        self.scheduler = scheduler
        self.logger = logger
    }

    /// The producer in use now.
    var producer: KafkaProducer { current.withLock { $0.producer } }

    /// Producers built to replace one that hit a fatal error.
    var rebuildCount: Int { rebuilt.load(ordering: .relaxed) }

    /// Hands one record to the cluster; `completion` gets the result and the time to it (ns).
    func send(topic: String, key: [UInt8], value: [UInt8],
              completion: @escaping @Sendable (Result<Void, KafkaError>, UInt64) -> Void) {
        let (producer, generation) = current.withLock { ($0.producer, $0.generation) }
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
        let (producer, generation) = current.withLock { ($0.producer, $0.generation) }
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

    /// Replaces the producer of `generation` (once, whoever notices first).
    private func rebuild(after generation: Int, _ error: KafkaError) {
        let replaced: KafkaProducer? = current.withLock { current in
            guard current.generation == generation else { return nil }
            do {
                let fresh = try makeProducer()
                let old = current.producer
                current = (fresh, generation + 1)
                return old
            } catch {
                logger.error("could not build a new producer after a fatal error; retrying on the next one",
                             metadata: ["cluster": "\(name)", "error": "\(error)"])
                return nil
            }
        }
        guard let replaced else { return }
        rebuilt.add(1, ordering: .relaxed)
        logger.error("producer hit a fatal error and was replaced; what it held fails over", metadata: [
            "cluster": "\(name)", "error": "\(error)",
        ])
        Task.detached { await replaced.shutdown(timeout: .zero) }
    }

    /// Waits until the cluster can take grants without first discovering it (see ``KafkaProducer/waitUntilReady(topics:timeout:)``).
    func waitUntilReady(topics: [String], timeout: Duration) async throws(KafkaError) {
        try await producer.waitUntilReady(topics: topics, timeout: timeout)
    }

    func shutdown(flushTimeout: Duration) async {
        await producer.shutdown(timeout: flushTimeout)
    }
}
