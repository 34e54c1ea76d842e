public import Logging
import Synchronization

/// A producer that replaces itself after a fatal error.
///
/// An idempotent producer that loses its guarantees (an out-of-order sequence number, a fenced
/// producer id) raises a fatal error and refuses every record afterwards, for good. A long-lived
/// process that keeps one producer (a consumer parking records) would then be stuck until it is
/// restarted: seen in `reward-bench chaos` seed 5, where a consumer's parking producer on B hit an
/// injected OUT_OF_ORDER_SEQUENCE_NUMBER and four partitions waited on parking for good. Here the
/// send that meets the fatal error builds a new producer (once, whoever notices first), shuts the
/// old one down in the background and throws; the caller's retry goes out on the new one.
public final class RenewingProducer: Sendable {
    public typealias Factory = @Sendable () throws(KafkaError) -> KafkaProducer

    private let make: Factory
    private let current: Mutex<(producer: KafkaProducer, generation: Int)>
    private let renewed = Atomic<Int>(0)
    private let logger: Logger

    /// Builds the first producer with `make`, which also builds each replacement.
    /// - Parameter logger: Where a renewal is logged (at error level), with the logger's metadata.
    public init(logger: Logger, make: @escaping Factory) throws(KafkaError) {
        self.make = make
        self.current = Mutex((try make(), 0))
        self.logger = logger
    }

    /// The producer in use now.
    public var producer: KafkaProducer { current.withLock { $0.producer } }

    /// The producer in use now and its generation, for a caller that sends with callbacks and
    /// renews from them (``renew(after:_:)``).
    public var producerAndGeneration: (producer: KafkaProducer, generation: Int) {
        current.withLock { ($0.producer, $0.generation) }
    }

    /// How many producers were built to replace one that hit a fatal error.
    public var renewals: Int { renewed.load(ordering: .relaxed) }

    /// Produces one record and waits for the cluster's acknowledgement (see
    /// ``KafkaProducer/send(_:)``). A fatal error renews the producer before it is thrown.
    public func send(_ message: KafkaProducerMessage) async throws -> KafkaDeliveryReport {
        let (producer, generation) = current.withLock { ($0.producer, $0.generation) }
        do {
            return try await producer.send(message)
        } catch let error as KafkaError {
            if error.isFatal || producer.hasFatalError { renew(after: generation, error) }
            throw error
        }
    }

    /// Flushes and closes the producer in use.
    public func shutdown(timeout: Duration = .seconds(10)) async {
        await producer.shutdown(timeout: timeout)
    }

    /// Replaces the producer of `generation` (once, whoever notices first); a later generation
    /// in use already makes this a no-op. The old producer is shut down in the background, which
    /// fails whatever it still held.
    public func renew(after generation: Int, _ error: KafkaError) {
        let replaced: KafkaProducer? = current.withLock { current in
            guard current.generation == generation else { return nil }
            do {
                let fresh = try make()
                let old = current.producer
                current = (fresh, generation + 1)
                return old
            } catch {
                logger.error("could not build a new producer after a fatal error; the next send tries again",
                             metadata: ["error": "\(error)"])
                return nil
            }
        }
        guard let replaced else { return }
        renewed.add(1, ordering: .relaxed)
        logger.error("producer hit a fatal error and was replaced; what it held fails", metadata: ["error": "\(error)"])
        Task.detached { await replaced.shutdown(timeout: .zero) }
    }
}
