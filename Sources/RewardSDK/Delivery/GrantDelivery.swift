import Kafka
import Synchronization

/// One grant on its way to the clusters: a first attempt, a hedge to another cluster when the
/// first is slow or fails, and the end of the delivery budget, whichever decides first.
///
/// The rule (docs/architecture.md, "Latency-aware delivery"): the grant goes to the cluster the
/// router picks. If that cluster has not acknowledged after its hedge delay (`factor × p99` of its
/// own recent acknowledgements, between a floor and half the budget; at most a tenth of recent
/// grants, see ``HedgeBudget``) or answers with an error, the grant is also sent to a cluster not
/// tried yet; the first acknowledgement answers the grant.
/// No acknowledgement within the budget: the grant is spooled. A slower but healthy cluster
/// therefore keeps its traffic (its acknowledgements raise its own hedge delay, and only a miss of
/// the whole budget counts against its breaker), while one that stops answering, or answers only
/// after the budget (useless within the grant's promise), trips its breaker and leaves the
/// rotation when it is also silent or another cluster answers in time clearly more often
/// (``ClusterHealth``); its late acknowledgements still count as latency samples and as signs of
/// life. An attempt that lost the race may still land: a duplicate the consumers absorb by order
/// id, never a loss.
final class GrantDelivery: Expirable {
    enum Outcome: Sendable {
        case acknowledged(cluster: Int)
        /// Every cluster refused the record for good (see `KafkaError.isPermanent`).
        case refused(KafkaError)
        /// No acknowledgement within the budget: the spool's turn.
        case unanswered
    }

    /// What one grant needs from its client.
    struct Context: Sendable {
        var router: ClusterRouter
        var links: [ClusterLink]
        var latency: LatencyTracker
        var hedges: HedgeBudget
        var scheduler: DeadlineScheduler
        var onHedge: @Sendable (_ cluster: Int) -> Void
    }

    private struct Attempt {
        var permit: ClusterRouter.Permit
        var reported = false
    }

    private struct State {
        var continuation: UnsafeContinuation<Outcome, Never>?
        /// The scheduler holds this delivery for its hedge delay; the budget's end is scheduled
        /// only when that passes with work left (most grants are acknowledged before it).
        var hedgeDue = false
        var attempts: [Attempt] = []
        var inFlight = 0
        var tried: UInt64 = 0
        var refusedBy: UInt64 = 0
        var lastRefusal: KafkaError?
    }

    private let context: Context
    private let topic: String
    private let key: [UInt8]
    private let value: [UInt8]
    private let budgetEnd: UInt64
    private let state: Mutex<State>

    private init(context: Context, topic: String, key: [UInt8], value: [UInt8], budgetEnd: UInt64,
                 continuation: UnsafeContinuation<Outcome, Never>) {
        self.context = context
        self.topic = topic
        self.key = key
        self.value = value
        self.budgetEnd = budgetEnd
        self.state = Mutex(State(continuation: continuation))
    }

    /// Delivers one record; returns how it ended.
    static func deliver(_ context: Context, topic: String, key: [UInt8], value: [UInt8], budgetEnd: UInt64) async -> Outcome {
        await withUnsafeContinuation { continuation in
            let delivery = GrantDelivery(context: context, topic: topic, key: key, value: value, budgetEnd: budgetEnd,
                                         continuation: continuation)
            delivery.start()
        }
    }

    private func start() {
        let now = MonotonicClock.now()
        guard now &+ 1_000_000 < budgetEnd, let permit = context.router.route(now: now) else {
            finish(.unanswered)
            return
        }
        context.hedges.grantStarted()
        send(permit)
        let hedgeAt = now &+ context.latency.hedgeDelay(cluster: permit.cluster, now: now)
        // One scheduler entry per grant: the budget's end is scheduled when the hedge delay passes.
        if hedgeAt < budgetEnd {
            state.withLock { $0.hedgeDue = true }
            context.scheduler.schedule(self, deadline: hedgeAt)
        } else {
            context.scheduler.schedule(self, deadline: budgetEnd)
        }
    }

    /// The hedge delay or the budget ran out (whichever this call is for).
    func expire() {
        let (hedgeDue, open, unreported) = state.withLock { state in
            defer { state.hedgeDue = false }
            return (state.hedgeDue, state.continuation != nil, state.attempts.contains { !$0.reported })
        }
        guard hedgeDue, MonotonicClock.now() &+ DeadlineScheduler.resolution < budgetEnd else {
            budgetSpent()
            return
        }
        if open, context.hedges.take() { hedge() }
        // An attempt still out at the budget's end counts as a miss against its cluster, also
        // when another cluster already answered the grant.
        if open || unreported { context.scheduler.schedule(self, deadline: budgetEnd) }
    }

    /// Sends to a cluster not tried yet, if the router admits one.
    private func hedge() {
        let tried = state.withLock { $0.tried }
        guard let permit = context.router.route(excluding: tried) else { return }
        context.onHedge(permit.cluster)
        send(permit)
    }

    private func send(_ permit: ClusterRouter.Permit) {
        let index = state.withLock { state -> Int in
            state.attempts.append(Attempt(permit: permit))
            state.inFlight += 1
            state.tried |= 1 << UInt64(permit.cluster)
            return state.attempts.count - 1
        }
        context.links[permit.cluster].send(topic: topic, key: key, value: value) { [self] result, latency in
            completed(index, result, latency: latency)
        }
    }

    private func completed(_ index: Int, _ result: Result<Void, KafkaError>, latency: UInt64) {
        let permit = state.withLock { $0.attempts[index].permit }
        switch result {
        case .success:
            // Late or not, an acknowledgement is a latency sample; only one within the budget is a
            // success for the breaker (a late one was already counted as a miss).
            context.latency.record(cluster: permit.cluster, latency: latency)
            if !report(index, success: true) { context.router.acknowledged(permit.cluster) }
            state.withLock { $0.inFlight -= 1 }
            finish(.acknowledged(cluster: permit.cluster))
        case .failure(let error):
            report(index, success: false)
            let (open, exhausted) = state.withLock { state -> (Bool, Bool) in
                state.inFlight -= 1
                if error.isPermanent {
                    state.refusedBy |= 1 << UInt64(permit.cluster)
                    state.lastRefusal = error
                }
                return (state.continuation != nil, state.inFlight == 0)
            }
            guard open else { return }
            // Fail over at once rather than waiting for the hedge delay.
            if MonotonicClock.now() &+ 1_000_000 < budgetEnd { hedge() }
            let (inFlight, refusedAll, refusal) = state.withLock { state in
                (state.inFlight, state.refusedBy == (UInt64(1) << UInt64(context.links.count)) - 1, state.lastRefusal)
            }
            if refusedAll, let refusal {
                finish(.refused(refusal))
            } else if exhausted, inFlight == 0 {
                finish(.unanswered)
            }
        }
    }

    /// Reports an attempt to its cluster's breaker, once; `false` when it was already reported.
    @discardableResult
    private func report(_ index: Int, success: Bool) -> Bool {
        let permit = state.withLock { state -> ClusterRouter.Permit? in
            guard !state.attempts[index].reported else { return nil }
            state.attempts[index].reported = true
            return state.attempts[index].permit
        }
        guard let permit else { return false }
        context.router.report(permit, success: success)
        return true
    }

    /// No acknowledgement within the budget: every attempt still out counts as a miss.
    private func budgetSpent() {
        let count = state.withLock { $0.attempts.count }
        for index in 0..<count { report(index, success: false) }
        finish(.unanswered)
    }

    private func finish(_ outcome: Outcome) {
        let continuation = state.withLock { state -> UnsafeContinuation<Outcome, Never>? in
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: outcome)
    }
}
