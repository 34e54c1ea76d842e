/// The health of one cluster as a circuit breaker: a value-type state machine with no I/O.
///
/// ```
///   closed ──(failureThreshold consecutive failures over failingTime)──► open(until: now + coolDown)
///     ▲                                                   │ cool-down over, next admission
///     └──────(probe acknowledged)── halfOpen(probe) ◄─────┘
///                                      │ probe failed or timed out
///                                      └──► open(until: now + coolDown)
/// ```
///
/// A failure is a delivery error or an acknowledgement later than the attempt's deadline. The
/// streak must also last `failingTime`: a dead cluster keeps failing and trips within it, while a
/// momentary stall (every attempt in flight missing its deadline at once, then successes again)
/// does not take a healthy cluster out. While open the cluster takes no traffic; after the
/// cool-down exactly one attempt (a live grant or a spool replay) is let through as a probe,
/// and its result decides.
struct ClusterHealth: Sendable, Equatable {
    enum State: Sendable, Equatable {
        /// `since`: when the current streak of failures began (meaningless while it is 0).
        case closed(consecutiveFailures: Int, since: UInt64)
        case open(until: UInt64)
        case halfOpen
    }

    /// What the cluster is doing, as reported by the health gauge.
    enum Level: Int, Sendable, Equatable {
        case down = 0
        case probing = 1
        case healthy = 2
    }

    enum Admission: Sendable, Equatable {
        case refused
        case normal
        /// The one attempt allowed while half-open; its result closes or reopens the breaker.
        case probe
    }

    struct Policy: Sendable, Equatable {
        var failureThreshold: Int
        /// Nanoseconds a streak of failures must span before it trips the breaker.
        var failingTime: UInt64 = 0
        var coolDown: UInt64
    }

    private(set) var state: State = .closed(consecutiveFailures: 0, since: 0)
    let policy: Policy

    init(policy: Policy) {
        self.policy = policy
    }

    var level: Level {
        switch state {
        case .closed: .healthy
        case .open: .down
        case .halfOpen: .probing
        }
    }

    /// Whether an attempt may go to this cluster now; may move open → half-open.
    mutating func admit(now: UInt64) -> Admission {
        switch state {
        case .closed:
            return .normal
        case .open(let until):
            guard now >= until else { return .refused }
            state = .halfOpen
            return .probe
        case .halfOpen:
            return .refused  // the probe is still out
        }
    }

    /// Records an attempt's result; returns the new level when it changed.
    mutating func record(success: Bool, probe: Bool, now: UInt64) -> Level? {
        let before = level
        switch (state, probe) {
        case (.halfOpen, true):
            state = success ? .closed(consecutiveFailures: 0, since: 0) : .open(until: now &+ policy.coolDown)
        case (.closed(let failures, let since), false):
            if success {
                state = .closed(consecutiveFailures: 0, since: 0)
            } else {
                let start = failures == 0 ? now : since
                if failures + 1 >= policy.failureThreshold, now &- start >= policy.failingTime {
                    state = .open(until: now &+ policy.coolDown)
                } else {
                    state = .closed(consecutiveFailures: failures + 1, since: start)
                }
            }
        default:
            // Results of attempts admitted before the last transition say nothing new.
            break
        }
        return level == before ? nil : level
    }

    /// Gives back a probe admission that was not used, so the next attempt can probe.
    mutating func returnProbe(now: UInt64) {
        if case .halfOpen = state { state = .open(until: now) }
    }
}
