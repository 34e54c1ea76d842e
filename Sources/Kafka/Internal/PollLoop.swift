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

/// Runs a blocking librdkafka call on a Dispatch thread, never on the cooperative pool.
func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try body() })
        }
    }
}
