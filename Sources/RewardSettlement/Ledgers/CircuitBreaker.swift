import Synchronization

/// The state of an ``HTTPLedger``'s circuit breaker.
public enum CircuitBreakerState: String, Sendable, Hashable {
    /// Calls go through; consecutive failures are counted.
    case closed
    /// Calls fail at once with "circuit open" until the cool-down ends.
    case open
    /// The cool-down ended: one probe call goes through; its result closes or reopens the circuit.
    case halfOpen = "half_open"
}

/// Stops calling a downstream that keeps failing, and probes it again after a cool-down.
///
/// Opens after `failureThreshold` consecutive failures (timeouts, connection errors, 5xx). While
/// open, ``admit(now:)`` refuses at once. After `coolDown` one probe is admitted (half-open): a
/// success closes the circuit, a failure opens it for another cool-down.
final class CircuitBreaker: Sendable {
    private struct State {
        var mode: CircuitBreakerState = .closed
        var consecutiveFailures = 0
        var openedAt: ContinuousClock.Instant?
        var probeInFlight = false
    }

    let failureThreshold: Int
    let coolDown: Duration
    private let state = Mutex(State())

    init(failureThreshold: Int, coolDown: Duration) {
        self.failureThreshold = max(1, failureThreshold)
        self.coolDown = coolDown
    }

    var current: CircuitBreakerState { state.withLock { $0.mode } }

    /// Whether a call may go out now; a `true` in half-open state makes that call the probe.
    func admit(now: ContinuousClock.Instant = .now) -> Bool {
        state.withLock { state in
            switch state.mode {
            case .closed:
                return true
            case .open:
                guard let openedAt = state.openedAt, now - openedAt >= coolDown else { return false }
                state.mode = .halfOpen
                state.probeInFlight = true
                return true
            case .halfOpen:
                if state.probeInFlight { return false }
                state.probeInFlight = true
                return true
            }
        }
    }

    /// Records a call's result; returns the new state when it changed.
    @discardableResult
    func record(success: Bool, now: ContinuousClock.Instant = .now) -> CircuitBreakerState? {
        state.withLock { state in
            let before = state.mode
            if success {
                state.consecutiveFailures = 0
                state.mode = .closed
                state.probeInFlight = false
            } else {
                state.consecutiveFailures += 1
                if state.mode == .halfOpen || state.consecutiveFailures >= failureThreshold {
                    state.mode = .open
                    state.openedAt = now
                    state.probeInFlight = false
                }
            }
            return state.mode == before ? nil : state.mode
        }
    }

    /// A call that was admitted but ended without a verdict (cancelled, or an overload answer):
    /// frees the probe slot so another call may probe.
    func release() {
        state.withLock { $0.probeInFlight = false }
    }
}
