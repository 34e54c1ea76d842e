import Synchronization

/// Counts the grants in progress so ``RewardClient/shutdown()`` can wait for every one of them.
final class Lifecycle: Sendable {
    private struct State {
        var inFlight = 0
        var closing = false
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Admits a grant; `false` once shutdown has begun.
    func enter() -> Bool {
        state.withLock { state in
            guard !state.closing else { return false }
            state.inFlight += 1
            return true
        }
    }

    func leave() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.inFlight -= 1
            guard state.closing, state.inFlight == 0 else { return [] }
            defer { state.idleWaiters.removeAll() }
            return state.idleWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Refuses new grants from now on and returns when the admitted ones have all finished.
    func closeAndWaitUntilIdle() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { state -> Bool in
                state.closing = true
                if state.inFlight == 0 { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    var inFlight: Int { state.withLock { $0.inFlight } }
}
