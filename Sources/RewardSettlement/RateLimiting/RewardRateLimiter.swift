public import Logging
public import Metrics
public import RewardCore
import Synchronization

/// Rate limits per reward type, in 100 ms wall-clock slices with permits paced evenly inside each
/// slice; changeable while running; slower after overload signals; cash first on shared capacity.
///
/// Each reward type has its own bucket (a slow type never delays another: independent buckets,
/// no shared lock held while waiting). A type that shares a downstream with others also takes a
/// permit from that downstream's bucket, where cash-lane types are served before goods ones.
/// Every configured rate is for the whole fleet; ``setFleetShares(_:otherwise:)`` (driven by
/// ``RateShareCoordinator``) scales each bucket to this process's share of it, and
/// ``demands(within:)`` tells the coordinator which buckets this process wants.
public final class RewardRateLimiter: Sendable {
    private let policy: RateLimitConfiguration.OverloadPolicy
    private let typeBuckets: Mutex<[String: RateBucket]>
    private let sharedBuckets: [String: RateBucket]
    private let sharedOf: [String: String]
    private let priorities: [String: RateLimitPriority]
    /// Shares by bucket name, and the share of a bucket not named (a type added later).
    private let fleetShares = Mutex<(byBucket: [String: FleetShare], otherwise: FleetShare)>(([:], .whole))
    private let logger: Logger
    private let metrics: any MetricsFactory
    private let waitTimers = Mutex<[String: Metrics.Timer]>([:])
    /// Who asks for which type: callers inside ``acquireSlot`` now, the last ask, its priority.
    /// Kept per type, not per bucket: a caller waiting on a type's shared downstream still wants
    /// the type's own bucket (per bucket, the two demands took turns and neither got a share).
    private let asking = Mutex<[String: Asking]>([:])

    private struct Asking {
        var waiting = 0
        var lastAskedAt = ContinuousClock.now
        var priority = RateLimitPriority.normal
    }

    /// Creates the limiter.
    /// - Parameters:
    ///   - configuration: Rates per type and shared downstreams (validated).
    ///   - catalog: Gives each type its lane, hence its priority on shared capacity (cash first).
    ///   - logger: Rate changes and overload slowdowns at info level.
    ///   - metrics: `reward_rate_limit_wait_seconds{bucket}` and `reward_rate_limit_effective_rate{bucket}`.
    /// - Throws: ``ConfigurationError`` when the configuration is invalid.
    public init(configuration: RateLimitConfiguration, catalog: RewardCatalog? = nil, logger: Logger,
                metrics: any MetricsFactory) throws(ConfigurationError) {
        try configuration.validate()
        policy = configuration.overload
        typeBuckets = Mutex(configuration.rates.reduce(into: [:]) { buckets, entry in
            buckets[entry.key] = RateBucket(name: entry.key, rate: entry.value, policy: configuration.overload)
        })
        var shared: [String: RateBucket] = [:]
        var sharedOf: [String: String] = [:]
        for (name, downstream) in configuration.sharedDownstreams {
            shared[name] = RateBucket(name: "shared:\(name)", rate: downstream.rate, policy: configuration.overload)
            for type in downstream.types { sharedOf[type] = name }
        }
        sharedBuckets = shared
        self.sharedOf = sharedOf
        priorities = catalog.map { $0.types.mapValues { RateLimitPriority(lane: $0.lane) } } ?? [:]
        self.logger = logger
        self.metrics = metrics
        for bucket in typeBuckets.withLock({ Array($0.values) }) + Array(shared.values) { recordRate(bucket) }
    }

    /// Waits until a call of `rewardType` may go out.
    ///
    /// Takes a permit from the type's bucket, then from its shared downstream's bucket if it has
    /// one. A type with no limit returns at once.
    /// - Parameters:
    ///   - rewardType: The reward type about to call its downstream.
    ///   - permits: Calls about to go out together; all are granted at the time of the last one,
    ///     so use 1 for calls that must reach the downstream paced.
    ///   - priority: Order on shared capacity; by default from the type's lane (cash is high).
    /// - Returns: `true` when granted, `false` when the task was cancelled while waiting.
    @discardableResult
    public func acquire(rewardType: String, permits: Int = 1, priority: RateLimitPriority? = nil) async -> Bool {
        await acquireSlot(rewardType: rewardType, permits: permits, priority: priority) != nil
    }

    /// Like ``acquire(rewardType:permits:priority:)``, and says when: the slot time (wall clock,
    /// nanoseconds since the epoch) of the last permit, the latest of the type's and its shared
    /// downstream's; the current time for a type without a limit; `nil` when cancelled.
    public func acquireSlot(rewardType: String, permits: Int = 1, priority: RateLimitPriority? = nil) async -> Int64? {
        let own = typeBuckets.withLock { $0[rewardType] }
        let shared = sharedOf[rewardType].flatMap { sharedBuckets[$0] }
        guard own != nil || shared != nil else { return WallClock.now() }
        let started = ContinuousClock.now
        let priority = priority ?? priorities[rewardType] ?? .normal
        asking.withLock { asking in
            let before = asking[rewardType]
            asking[rewardType] = Asking(waiting: (before?.waiting ?? 0) + 1, lastAskedAt: started,
                                        priority: before.map { min($0.priority, priority) } ?? priority)
        }
        defer {
            asking.withLock { asking in
                asking[rewardType]?.waiting -= 1
                asking[rewardType]?.lastAskedAt = .now
            }
        }
        var slot = Int64.min
        if let own {
            guard let time = await own.acquire(permits: permits, priority: priority) else { return nil }
            slot = max(slot, time)
        }
        if let shared {
            guard let time = await shared.acquire(permits: permits, priority: priority) else { return nil }
            slot = max(slot, time)
        }
        let waited = ContinuousClock.now - started
        if waited > .milliseconds(1) { waitTimer(rewardType).recordNanoseconds(waited.nanoseconds) }
        return slot
    }

    /// Changes a type's fleet-wide rate while running; `nil` removes its limit.
    public func setRate(rewardType: String, to rate: Double?) {
        let bucket = typeBuckets.withLock { buckets -> RateBucket? in
            guard let rate, rate.isFinite, rate >= 0 else {
                buckets[rewardType] = nil
                return nil
            }
            if let existing = buckets[rewardType] {
                existing.setRate(rate)
                return existing
            }
            let made = RateBucket(name: rewardType, rate: rate, policy: policy)
            made.setFleetShare(fleetShares.withLock { $0.byBucket[rewardType] ?? $0.otherwise })
            buckets[rewardType] = made
            return made
        }
        logger.info("rate limit changed", metadata: ["reward_type": "\(rewardType)", "rate": "\(rate.map { "\($0)" } ?? "none")"])
        if let bucket { recordRate(bucket) }
    }

    /// Changes a shared downstream's fleet-wide rate while running.
    public func setSharedRate(downstream: String, to rate: Double) {
        guard let bucket = sharedBuckets[downstream], rate.isFinite, rate >= 0 else { return }
        bucket.setRate(rate)
        recordRate(bucket)
    }

    /// A downstream of `rewardType` reported overload: multiply its effective rate (and its
    /// shared downstream's) down; it recovers gradually.
    public func signalOverload(rewardType: String) {
        var slowed: [RateBucket] = []
        if let own = typeBuckets.withLock({ $0[rewardType] }), own.signalOverload() { slowed.append(own) }
        if let shared = sharedOf[rewardType].flatMap({ sharedBuckets[$0] }), shared.signalOverload() { slowed.append(shared) }
        for bucket in slowed {
            logger.info("downstream overloaded: slowing down", metadata: [
                "bucket": "\(bucket.name)", "effective_rate": "\(bucket.effectiveRate)",
            ])
            recordRate(bucket)
        }
    }

    /// Bucket names: each limited reward type's id, and `shared:<downstream>` for each shared
    /// downstream. Fleet shares and demands are per bucket.
    public var bucketNames: [String] { allBuckets.map(\.name) }

    /// The buckets some caller asked for within `window` or is waiting for, with the highest
    /// priority that asked: what this process wants of the fleet's rates.
    public func demands(within window: Duration) -> [String: RateLimitPriority] {
        let now = ContinuousClock.now
        let wanted = asking.withLock { asking -> [(String, RateLimitPriority)] in
            // Forget what went quiet, and the priority it was asked at (the next ask sets it again).
            asking = asking.filter { $0.value.waiting > 0 || now - $0.value.lastAskedAt < window }
            return asking.map { ($0.key, $0.value.priority) }
        }
        var demands: [String: RateLimitPriority] = [:]
        let ownBuckets = typeBuckets.withLock { Set($0.keys) }
        for (type, priority) in wanted {
            var names: [String] = []
            if ownBuckets.contains(type) { names.append(type) }
            if let shared = sharedOf[type], let bucket = sharedBuckets[shared] { names.append(bucket.name) }
            for name in names { demands[name] = min(demands[name] ?? priority, priority) }
        }
        return demands
    }

    /// This process's share of each bucket's fleet-wide rate, from ``RateShareCoordinator``;
    /// buckets not named get `otherwise`. Without a call every bucket has the whole rate.
    public func setFleetShares(_ shares: [String: FleetShare], otherwise: FleetShare) {
        // Stored before the buckets are listed (not under one lock: setRate takes the locks the
        // other way round): a bucket made meanwhile either reads these shares or is listed here.
        fleetShares.withLock { $0 = (shares, otherwise) }
        for bucket in allBuckets {
            let share = shares[bucket.name] ?? otherwise
            let before = bucket.effectiveRate
            bucket.setFleetShare(share)
            if bucket.effectiveRate != before { recordRate(bucket) }
        }
    }

    /// The same share of every bucket.
    public func setFleetShare(_ share: FleetShare) {
        setFleetShares([:], otherwise: share)
    }

    /// The effective rate of a type's own bucket now (configured × fleet share × overload), or
    /// `nil` when the type has no limit of its own.
    public func effectiveRate(rewardType: String) -> Double? {
        typeBuckets.withLock { $0[rewardType] }?.effectiveRate
    }

    /// The effective rate of a shared downstream's bucket now.
    public func effectiveRate(sharedDownstream name: String) -> Double? {
        sharedBuckets[name]?.effectiveRate
    }

    private var allBuckets: [RateBucket] {
        typeBuckets.withLock { Array($0.values) } + Array(sharedBuckets.values)
    }

    private func recordRate(_ bucket: RateBucket) {
        Gauge(label: "reward_rate_limit_effective_rate", dimensions: [("bucket", bucket.name)], factory: metrics)
            .record(bucket.effectiveRate)
    }

    private func waitTimer(_ rewardType: String) -> Metrics.Timer {
        waitTimers.withLock { timers in
            if let timer = timers[rewardType] { return timer }
            let timer = Metrics.Timer(label: "reward_rate_limit_wait_seconds", dimensions: [("bucket", rewardType)], factory: metrics)
            timers[rewardType] = timer
            return timer
        }
    }
}
