import DequeModule
import Foundation
import Synchronization

/// Releases grants at a fixed total rate to whichever caller is free, from one dedicated thread.
///
/// Each release carries the instant the grant was due, so a grant that had to wait for a free
/// caller counts that wait as latency (no coordinated omission). One thread ticking every
/// 200 µs instead of a timer per grant: thousands of `Task.sleep`s per second cost the
/// cooperative pool more than the grants they pace.
final class PacedGate: Sendable {
    private struct State {
        var due = Deque<ContinuousClock.Instant>()
        var waiting = Deque<UnsafeContinuation<ContinuousClock.Instant?, Never>>()
        var finished = false
    }

    private let state = Mutex(State())

    init(rate: Double, start: ContinuousClock.Instant, end: ContinuousClock.Instant) {
        let interval = Duration.nanoseconds(Int64(1e9 / rate))
        let thread = Thread { [self] in
            var next = start
            while ContinuousClock.now < end {
                let now = ContinuousClock.now
                var released: [(UnsafeContinuation<ContinuousClock.Instant?, Never>, ContinuousClock.Instant)] = []
                state.withLock { state in
                    while next <= now, next < end {
                        state.due.append(next)
                        next += interval
                    }
                    while !state.due.isEmpty, !state.waiting.isEmpty {
                        released.append((state.waiting.removeFirst(), state.due.removeFirst()))
                    }
                }
                for (caller, instant) in released { caller.resume(returning: instant) }
                usleep(200)
            }
            let rest = state.withLock { state -> [UnsafeContinuation<ContinuousClock.Instant?, Never>] in
                state.finished = true
                defer { state.waiting.removeAll() }
                return Array(state.waiting)
            }
            for caller in rest { caller.resume(returning: nil) }
        }
        thread.name = "bench-pacer"
        thread.start()
    }

    /// When the caller's next grant was due; `nil` once the phase is over.
    func next() async -> ContinuousClock.Instant? {
        await withUnsafeContinuation { continuation in
            let ready = state.withLock { state -> ContinuousClock.Instant?? in
                if let due = state.due.popFirst() { return .some(due) }
                if state.finished { return .some(nil) }
                state.waiting.append(continuation)
                return .none
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
