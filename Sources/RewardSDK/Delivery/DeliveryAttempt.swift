import Synchronization

/// One record in flight to one cluster: resumed exactly once, by the delivery report or by the
/// deadline, whichever comes first.
final class DeliveryAttempt: Expirable {
    private let finished = Atomic<Bool>(false)
    private let continuation: UnsafeContinuation<DeliveryOutcome, Never>

    init(continuation: UnsafeContinuation<DeliveryOutcome, Never>) {
        self.continuation = continuation
    }

    func complete(_ outcome: DeliveryOutcome) {
        guard !finished.exchange(true, ordering: .acquiringAndReleasing) else { return }
        continuation.resume(returning: outcome)
    }

    func expire() { complete(.timedOut) }
}
