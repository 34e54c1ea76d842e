import Synchronization

/// A batch of records in flight to one cluster (spool replay): resumed once, when every record
/// has a result or when the deadline passes, with each record's own outcome.
///
/// One continuation for the whole batch instead of one task per record keeps replay cheap. The
/// outcomes let replay tell apart what the cluster stored, what it refused for good and what
/// may succeed if sent again, so a partly failed batch resends only the part that failed.
final class BatchDelivery: Expirable {
    private struct State {
        var remaining: Int
        var outcomes: [DeliveryOutcome?]
        var continuation: UnsafeContinuation<BatchResult, Never>?
    }

    struct BatchResult: Sendable {
        /// One outcome per record, in the order they were handed over; ``DeliveryOutcome/timedOut``
        /// for a record without a result by the deadline (it may still be stored later).
        var outcomes: [DeliveryOutcome]

        var total: Int { outcomes.count }
        var acknowledged: Int { outcomes.count(where: \.isAcknowledged) }
        var allAcknowledged: Bool { outcomes.allSatisfy(\.isAcknowledged) }

        /// The first failure, for a log line.
        var firstError: String? {
            for outcome in outcomes where !outcome.isAcknowledged {
                if case .failed(let error) = outcome { return "\(error.code)" }
                return "timed out"
            }
            return nil
        }
    }

    private let state: Mutex<State>

    init(count: Int, continuation: UnsafeContinuation<BatchResult, Never>) {
        state = Mutex(State(remaining: count, outcomes: Array(repeating: nil, count: count), continuation: continuation))
    }

    /// The result of record `index`; the first result of a record counts, later ones are ignored.
    func record(_ index: Int, _ outcome: DeliveryOutcome) {
        let finished = state.withLock { state -> (UnsafeContinuation<BatchResult, Never>, BatchResult)? in
            guard state.continuation != nil, state.outcomes.indices.contains(index), state.outcomes[index] == nil else {
                return nil
            }
            state.outcomes[index] = outcome
            state.remaining -= 1
            guard state.remaining == 0 else { return nil }
            return Self.take(&state)
        }
        if let (continuation, result) = finished { continuation.resume(returning: result) }
    }

    func expire() {
        let finished = state.withLock { Self.take(&$0) }
        if let (continuation, result) = finished { continuation.resume(returning: result) }
    }

    private static func take(_ state: inout State) -> (UnsafeContinuation<BatchResult, Never>, BatchResult)? {
        guard let continuation = state.continuation else { return nil }
        state.continuation = nil
        return (continuation, BatchResult(outcomes: state.outcomes.map { $0 ?? .timedOut }))
    }
}
