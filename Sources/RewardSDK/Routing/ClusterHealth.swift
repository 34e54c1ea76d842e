/// The health of one cluster as a circuit breaker: a value-type state machine with no I/O.
///
/// ```
///   closed ──(failureThreshold failures outnumbering successes, over failingTime)──► open(until: now + coolDown)
///     ▲                                                   │ cool-down over, next admission
///     └──────(probe acknowledged)── halfOpen(probe) ◄─────┘
///                                      │ probe failed or timed out
///                                      └──► open(until: now + coolDown)
/// ```
///
/// A failure is a delivery error or an acknowledgement later than the attempt's deadline. A streak
/// begins at a failure and lasts while failures are at least as many as the successes since; it
/// trips at `failureThreshold` failures, more than the successes, spanning `failingTime`. A dead
/// cluster keeps failing and trips within it; a momentary stall (every attempt in flight missing
/// its deadline at once, then successes again) and a slow cluster that still answers most
/// attempts in time stay in (taking one out for a minority of late answers moved all traffic to
/// the other, which then got slower too). A streak with successes in it starts over after
/// ``streakWindow``.
/// While open the cluster takes no traffic; after the cool-down exactly one attempt (a live grant
/// or a spool replay) is let through as a probe, and its result decides.
///
/// A streak only takes the cluster out when the cluster is also useless compared with the
/// alternative: it acknowledged nothing (in time or late) for `alive`, or another cluster in
/// rotation answers in time clearly more often (``inTimeShare``, ``outdoneMargin``). Two clusters
/// slow alike both stay in; each keeps the grants it answers in time and the rest spool. Before
/// this rule, late answers took one out, the other took all traffic, got slower and went out too,
/// and every grant went straight to the spool (CI: 37% live where a plain producer got 87%); load
/// balancers cap outlier ejection the same way (Envoy's `max_ejection_percent`).
struct ClusterHealth: Sendable, Equatable {
    enum State: Sendable, Equatable {
        static let clean = State.closed(failures: 0, successes: 0, since: 0)

        /// `since`: when the current streak began (meaningless while `failures` is 0).
        case closed(failures: Int, successes: Int, since: UInt64)
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
        /// An acknowledgement this recent (nanoseconds) shows the cluster is alive; default 250 ms.
        var alive: UInt64 = 250_000_000
    }

    private(set) var state: State = .clean

    /// How long a streak with successes in it may run before it starts over (nanoseconds).
    var streakWindow: UInt64 { max(4 * policy.failingTime, 200_000_000) }
    /// When the cluster last acknowledged anything, in time or late; `nil`: never.
    private(set) var lastAcknowledged: UInt64?
    /// The share of recent attempts answered in time (a moving average over about 50 results).
    private(set) var inTimeShare = 1.0
    static let shareWeight = 0.02
    /// How much more often another cluster must answer in time for a failing one to leave for it.
    static let outdoneMargin = 0.25
    let policy: Policy

    init(policy: Policy) {
        self.policy = policy
    }

    /// Whether the cluster takes traffic (not out, not probing).
    var isInRotation: Bool {
        if case .closed = state { return true }
        return false
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

    /// An acknowledgement that arrived after its attempt was already counted (a late one).
    mutating func acknowledged(now: UInt64) {
        lastAcknowledged = now
    }

    /// Records an attempt's result; returns the new level when it changed.
    /// - Parameter rival: the best ``inTimeShare`` among the other clusters in rotation; `nil`
    ///   when no other cluster is in rotation.
    mutating func record(success: Bool, probe: Bool, now: UInt64, rival: Double? = nil) -> Level? {
        let before = level
        if success { lastAcknowledged = now }
        inTimeShare += Self.shareWeight * ((success ? 1 : 0) - inTimeShare)
        switch (state, probe) {
        case (.halfOpen, true):
            state = success ? .clean : .open(until: now &+ policy.coolDown)
            // Back in, judged on what it does from now, but not yet a rival that outdoes a cluster
            // answering in time more than half as often (that would swap all traffic back and forth).
            if success { inTimeShare = max(inTimeShare, 1 - Self.outdoneMargin) }
        case (.closed(var failures, var successes, var since), false):
            // Only a mixed streak ages: failures with no success between them are a dead cluster's,
            // however slowly they come (a spool replay reports one per acknowledgement timeout).
            if successes > 0, now &- since > streakWindow { (failures, successes) = (0, 0) }
            if success {
                successes += 1
                state = successes > failures ? .clean : .closed(failures: failures, successes: successes, since: since)
            } else {
                if failures == 0 { since = now }
                failures += 1
                if failures >= policy.failureThreshold, failures > successes, now &- since >= policy.failingTime,
                   isUseless(now: now, rival: rival) {
                    state = .open(until: now &+ policy.coolDown)
                } else {
                    state = .closed(failures: failures, successes: successes, since: since)
                }
            }
        default:
            // Results of attempts admitted before the last transition say nothing new.
            break
        }
        return level == before ? nil : level
    }

    /// Silent for `alive`, or outdone by a cluster in rotation that answers in time clearly more often.
    private func isUseless(now: UInt64, rival: Double?) -> Bool {
        let silent = lastAcknowledged.map { now &- $0 > policy.alive } ?? true
        return silent || rival.map { $0 >= inTimeShare + Self.outdoneMargin } ?? false
    }

    /// Gives back a probe admission that was not used, so the next attempt can probe.
    mutating func returnProbe(now: UInt64) {
        if case .halfOpen = state { state = .open(until: now) }
    }
}
