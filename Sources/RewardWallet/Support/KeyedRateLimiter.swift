import Synchronization

/// A token bucket per key (a user, a calling service), in this process only.
///
/// Each key holds at most `burst` permits and regains `burst` permits per `period`. With several
/// instances behind a load balancer each enforces its own bucket, so the fleet-wide limit is the
/// per-instance limit times the instances a key's requests reach. Idle keys are forgotten once
/// their bucket is full again, so memory follows the keys active within one period, and never
/// exceeds `maximumKeys`: a new key that finds the table full (after a sweep) is refused.
public final class KeyedRateLimiter: Sendable {
    private struct Bucket {
        var permits: Double  // fractions of a permit refill continuously; never money
        var updated: ContinuousClock.Instant
    }

    private struct State {
        var buckets: [String: Bucket] = [:]
        var lastSweep: ContinuousClock.Instant
    }

    /// Permits a key holds when idle.
    public let burst: Int
    /// How long an empty bucket takes to fill.
    public let period: Duration
    /// Keys tracked at most.
    public let maximumKeys: Int
    private let state: Mutex<State>

    /// - Parameters:
    ///   - burst: Permits per key at most (at least 1).
    ///   - period: Time to regain all of them.
    ///   - maximumKeys: Keys tracked at once, at most.
    public init(burst: Int, per period: Duration, maximumKeys: Int = 100_000) {
        self.burst = max(1, burst)
        self.period = period > .zero ? period : .seconds(1)
        self.maximumKeys = max(1, maximumKeys)
        self.state = Mutex(State(lastSweep: .now))
    }

    /// Takes a permit for `key` if one is there.
    /// - Returns: `true` when the caller may go on.
    public func tryAcquire(_ key: String, now: ContinuousClock.Instant = .now) -> Bool {
        let perSecond = Double(burst) / seconds(period)
        return state.withLock { state in
            if now - state.lastSweep > period {
                sweep(&state, now: now, perSecond: perSecond)
            }
            if state.buckets[key] == nil, state.buckets.count >= maximumKeys {
                // Sweeping is O(keys): at most ten times a period, however many new keys knock.
                if now - state.lastSweep > period / 10 { sweep(&state, now: now, perSecond: perSecond) }
                guard state.buckets.count < maximumKeys else { return false }
            }
            var bucket = state.buckets[key] ?? Bucket(permits: Double(burst), updated: now)
            bucket.permits = min(Double(burst), bucket.permits + seconds(now - bucket.updated) * perSecond)
            bucket.updated = now
            guard bucket.permits >= 1 else {
                state.buckets[key] = bucket
                return false
            }
            bucket.permits -= 1
            state.buckets[key] = bucket
            return true
        }
    }

    /// Keys currently tracked (for tests and a gauge).
    public var trackedKeys: Int { state.withLock { $0.buckets.count } }

    private func sweep(_ state: inout State, now: ContinuousClock.Instant, perSecond: Double) {
        state.lastSweep = now
        state.buckets = state.buckets.filter { _, bucket in
            bucket.permits + seconds(now - bucket.updated) * perSecond < Double(burst)
        }
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
