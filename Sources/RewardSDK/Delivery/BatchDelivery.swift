import Synchronization

/// A batch of records in flight to one cluster (spool replay): resumed once, when every record
/// has a result or when the deadline passes.
///
/// One continuation for the whole batch instead of one task per record keeps replay cheap.
final class BatchDelivery: Expirable {
    private struct State {
        var remaining: Int
        var acknowledged: Int = 0
        var firstError: String?
        var continuation: UnsafeContinuation<BatchResult, Never>?
    }

    struct BatchResult: Sendable {
        var acknowledged: Int
        var total: Int
        var firstError: String?
        var allAcknowledged: Bool { acknowledged == total }
    }

    private let total: Int
    private let state: Mutex<State>

    init(count: Int, continuation: UnsafeContinuation<BatchResult, Never>) {
        total = count
        state = Mutex(State(remaining: count, continuation: continuation))
    }

    func record(_ outcome: DeliveryOutcome) {
        let finished = state.withLock { state -> (UnsafeContinuation<BatchResult, Never>, BatchResult)? in
            guard state.continuation != nil else { return nil }
            state.remaining -= 1
            switch outcome {
            case .acknowledged: state.acknowledged += 1
            case .failed(let error): if state.firstError == nil { state.firstError = "\(error.code)" }
            case .timedOut: if state.firstError == nil { state.firstError = "timed out" }
            }
            guard state.remaining == 0 else { return nil }
            return Self.take(&state, total: total)
        }
        if let (continuation, result) = finished { continuation.resume(returning: result) }
    }

    func expire() {
        let finished = state.withLock { state -> (UnsafeContinuation<BatchResult, Never>, BatchResult)? in
            guard state.continuation != nil else { return nil }
            if state.firstError == nil { state.firstError = "timed out" }
            return Self.take(&state, total: total)
        }
        if let (continuation, result) = finished { continuation.resume(returning: result) }
    }

    private static func take(_ state: inout State, total: Int) -> (UnsafeContinuation<BatchResult, Never>, BatchResult)? {
        guard let continuation = state.continuation else { return nil }
        state.continuation = nil
        return (continuation, BatchResult(acknowledged: state.acknowledged, total: total, firstError: state.firstError))
    }
}
