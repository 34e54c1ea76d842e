import Dispatch
import Foundation
import Synchronization

/// A dedicated thread that calls a blocking body (an `rd_kafka_poll` with a timeout) until stopped.
///
/// librdkafka's callbacks run on whichever thread polls; giving each client its own thread keeps
/// those blocking waits off Swift's cooperative pool.
final class PollLoop: Sendable {
    private let stopping = AtomicFlag()
    private let finished = DispatchSemaphore(value: 0)

    init(name: String, body: @escaping @Sendable () -> Void) {
        let thread = Thread { [stopping, finished] in
            while !stopping.isSet {
                body()
            }
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Asks the loop to end and waits for its current iteration to finish. Safe to call twice.
    func stop() {
        if stopping.testAndSet() { return }
        finished.wait()
    }
}

/// Runs a blocking librdkafka call on a thread of its own, never on the cooperative pool.
///
/// Not `DispatchQueue.global()`: its workers are capped near the core count, so a few long
/// blocking calls (a 30 s flush, a commit waiting for its coordinator) would stall every other
/// offloaded call behind them. These calls are rare (admin, flush, synchronous commits), so
/// a short-lived thread each costs nothing that matters.
func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.name = "kafka-blocking-call"
        thread.start()
    }
}

/// Releases a librdkafka client on a thread of its own. `deinit` cannot await, and destroying
/// a client blocks (a consumer leaves its group, threads are joined): never on the cooperative pool.
func releaseOffPool(_ name: String, _ body: @escaping @Sendable () -> Void) {
    let thread = Thread(block: body)
    thread.name = "kafka-release-\(name)"
    thread.start()
}
