public import CoreMetrics
import Foundation
import Kafka
public import Logging
import MariaDB
public import RewardCore
import Synchronization

/// The reward SDK an activity service links: grants a reward, returns its signed token, and
/// guarantees the grant reaches a Kafka cluster or the local durable spool before answering.
///
/// ``sendBonus(activity:user:bonus:orderID:)`` validates the grant, mints a ``RewardToken``,
/// builds a ``BonusEvent`` keyed by the order id and produces it to the lane's topic on one of
/// the clusters (weighted round robin). A cluster that fails or misses the attempt deadline is
/// retried on the other; after repeated failures it leaves the rotation for a cool-down (a
/// circuit breaker per cluster). When no cluster acknowledges within the budget, the event is
/// appended to the spool (group-committed `fdatasync`) and the grant still succeeds; a
/// background task replays the spool once a cluster answers again, also after a crash.
///
/// Tokens are recorded in `reward_tokens` by a batching writer when configured, never on the
/// grant's path. Call ``shutdown()`` before the process exits.
public final class RewardClient: Sendable {
    /// The configuration the client was made with.
    public let configuration: RewardClientConfiguration
    private let logger: Logger
    private let metrics: SDKMetrics
    private let lifecycle = Lifecycle()
    private let router: ClusterRouter
    private let links: [ClusterLink]
    private let scheduler: DeadlineScheduler
    private let spool: Spool
    private let replayer: SpoolReplayer
    private let recorder: TokenRecorder?
    private let cashTopic: String
    private let goodsTopic: String
    private let attemptTimeout: UInt64
    private let budget: UInt64
    private let shutdownTask = Mutex<Task<Void, Never>?>(nil)

    /// Opens the spool (replaying what an earlier process left), starts one producer per cluster
    /// and, when configured, the token recorder.
    /// - Parameters:
    ///   - configuration: Clusters, catalog, keys, spool and delivery settings.
    ///   - logger: Receives the client's logs; user ids are never logged at info or above.
    ///   - metrics: Where the client's metrics go (see the metric names in the module's docs).
    /// - Throws: ``ConfigurationError`` for an unusable configuration or a spool directory that
    ///   another live process holds; ``KafkaError`` when a producer cannot be created.
    public init(configuration: RewardClientConfiguration, logger: Logger, metrics: any MetricsFactory) async throws {
        try configuration.validate()
        let names = configuration.clusters.map(\.name)
        let metrics = SDKMetrics(factory: metrics, rewardTypes: configuration.catalog.types.keys.sorted(), clusters: names)
        let depthGauge = metrics.spoolDepth
        let spool: Spool
        do {
            spool = try await Spool.open(directory: configuration.spool.directory, segmentBytes: configuration.spool.segmentBytes,
                                         logger: logger, faults: configuration.spool.faults, depthChanged: { depthGauge.record($0) })
        } catch let error as SpoolError {
            throw ConfigurationError(code: error.code == .locked ? "sdk.spool.locked" : "sdk.spool.unusable", message: error.message)
        }
        let scheduler = DeadlineScheduler(name: "reward-sdk-deadlines")
        var links: [ClusterLink] = []
        do {
            for cluster in configuration.clusters {
                var producer = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers)
                producer.clientID = "reward-sdk-\(cluster.name.rawValue.lowercased())"
                producer.linger = configuration.delivery.linger
                producer.statisticsInterval = nil
                producer.additionalProperties = configuration.delivery.producerProperties
                links.append(ClusterLink(name: cluster.name, producer: try KafkaProducer(configuration: producer, logger: logger),
                                         scheduler: scheduler))
            }
        } catch {
            for link in links { await link.shutdown(flushTimeout: .zero) }
            scheduler.stop()
            await spool.close()
            throw error
        }
        let policy = ClusterHealth.Policy(failureThreshold: configuration.delivery.failureThreshold,
                                          failingTime: configuration.delivery.failingTime.nanoseconds,
                                          coolDown: configuration.delivery.coolDown.nanoseconds)
        let router = ClusterRouter(weights: configuration.clusters.map(\.weight), policy: policy) { [logger] index, level in
            metrics.health(cluster: index, level: level)
            switch level {
            case .down:
                logger.warning("cluster taken out of rotation after failed or late deliveries",
                               metadata: ["cluster": "\(names[index])", "coolDown": "\(configuration.delivery.coolDown)"])
            case .probing:
                logger.info("cluster cool-down over; probing it", metadata: ["cluster": "\(names[index])"])
            case .healthy:
                logger.notice("cluster back in rotation", metadata: ["cluster": "\(names[index])"])
            }
        }
        for index in names.indices { metrics.health(cluster: index, level: .healthy) }

        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.spool = spool
        self.scheduler = scheduler
        self.links = links
        self.router = router
        self.cashTopic = configuration.topic(for: .cash)
        self.goodsTopic = configuration.topic(for: .goods)
        self.attemptTimeout = configuration.delivery.attemptTimeout.nanoseconds
        self.budget = configuration.delivery.budget.nanoseconds
        self.replayer = SpoolReplayer(
            spool: spool, router: router, links: links,
            options: SpoolReplayer.Options(
                batchSize: configuration.delivery.replayBatchSize,
                acknowledgementTimeout: configuration.delivery.replayAcknowledgementTimeout,
                idleInterval: configuration.delivery.replayIdleInterval,
                retryInterval: configuration.delivery.replayRetryInterval),
            logger: logger, metrics: metrics)
        self.recorder = configuration.tokenRecording.map { options in
            TokenRecorder(pool: MariaDBPool(configuration: options.database, logger: logger), options: options,
                          logger: logger, metrics: metrics)
        }
        replayer.start()
        recorder?.start()
        logger.info("reward client started", metadata: [
            "clusters": "\(names.map(\.rawValue).joined(separator: ","))", "spool": "\(configuration.spool.directory)",
            "spoolDepth": "\(spool.depth)", "tokenRecording": "\(recorder == nil ? "off" : "on")",
        ])
    }

    /// Grants one reward and returns its signed token.
    ///
    /// When this returns, the event is acknowledged by a cluster (`acks=all`) or synced to the
    /// local spool, so a crash right after does not lose it. A retried grant must carry the same
    /// `orderID`; the consumers credit each order id once, so a duplicate event is harmless.
    /// - Parameters:
    ///   - activity: The campaign and scene.
    ///   - user: Who is credited.
    ///   - bonus: Reward type (from the catalog), amount in the type's minor units, extensions.
    ///   - orderID: The caller's global idempotency key.
    /// - Returns: The token, bound to order id, user id, reward type, amount, issue and expiry time.
    /// - Throws: ``RewardError`` with the field's code for an invalid grant (nothing is produced or
    ///   spooled), ``RewardError/Code/notDurable`` when neither a cluster nor the spool took the
    ///   event, ``RewardError/Code/shuttingDown`` after ``shutdown()`` began.
    public func sendBonus(activity: Activity, user: User, bonus: BonusContent, orderID: OrderID) async throws(RewardError)
        -> RewardToken
    {
        try await sendBonus(activity: activity, user: user, bonus: bonus, orderID: orderID, grantedBy: configuration.serviceID)
    }

    /// Grants one reward on behalf of a service (reward-api grants for the service that signed the
    /// request); otherwise the same as ``sendBonus(activity:user:bonus:orderID:)``.
    /// - Parameter grantedBy: The granting service's id, recorded with the token and carried in the event.
    public func sendBonus(activity: Activity, user: User, bonus: BonusContent, orderID: OrderID, grantedBy: String?)
        async throws(RewardError) -> RewardToken
    {
        let started = MonotonicClock.now()
        guard lifecycle.enter() else {
            metrics.rejected(bonus.rewardType, .shuttingDown)
            throw RewardError(.shuttingDown, "the reward client is shutting down")
        }
        defer { lifecycle.leave() }

        let type: RewardType
        do throws(RewardError) {
            try GrantValidation.validate(activity: activity, user: user, bonus: bonus, orderID: orderID)
            if let grantedBy, !GrantValidation.isIdentifier(grantedBy) {
                throw RewardError(.invalidGrantedBy, "the granting service id is 1-64 letters, digits, '-', '_' or '.'")
            }
            type = try configuration.catalog.validate(bonus)
        } catch {
            metrics.rejected(bonus.rewardType, error.code)
            logger.debug("grant refused", metadata: ["code": "\(error.code)", "order": "\(orderID)"])
            throw error
        }

        let now = Date()
        let token = configuration.keyRing.mint(orderID: orderID, userID: user.id, rewardType: type.id, amount: bonus.amount,
                                               activityID: activity.id, issuedAt: now)
        let event = BonusEvent(orderID: orderID, activity: activity, user: user, bonus: bonus, lane: type.lane,
                               grantedAtMilliseconds: Int64(now.timeIntervalSince1970 * 1000), token: token.encoded,
                               grantedBy: grantedBy)
        let topic = type.lane == .cash ? cashTopic : goodsTopic
        let key = event.key
        let value = event.encoded()
        let counters = metrics.counters(for: type.id)

        if let cluster = await deliver(topic: topic, key: key, value: value, started: started) {
            counters.acknowledged[cluster].increment()
        } else {
            do {
                try await spool.append(SpoolRecord(topic: topic, key: key, value: value))
            } catch {
                metrics.rejected(type.id, .notDurable)
                logger.error("grant refused: no cluster acknowledged it in time and the spool could not store it",
                             metadata: ["error": "\(error)"])
                throw RewardError(.notDurable,
                                  "no cluster acknowledged the grant in time and the local spool could not store it; retry with the same order id")
            }
            counters.spooled.increment()
            logger.debug("grant spooled", metadata: ["order": "\(orderID)"])
        }

        recorder?.record(TokenRecord(
            userID: user.id, orderID: orderID.rawValue, token: token.encoded, activityID: activity.id,
            sceneID: activity.sceneID, rewardType: type.id, amount: bonus.amount,
            issuedAt: Date(timeIntervalSince1970: TimeInterval(token.issuedAt)),
            expiresAt: Date(timeIntervalSince1970: TimeInterval(token.expiresAt)), recordedAt: now, grantedBy: grantedBy))
        metrics.grantDuration.recordNanoseconds(Int64(clamping: MonotonicClock.now() &- started))
        return token
    }

    /// Tries the clusters in routing order until one acknowledges, within the grant's budget.
    /// - Returns: the index of the cluster that acknowledged, or `nil`.
    private func deliver(topic: String, key: [UInt8], value: [UInt8], started: UInt64) async -> Int? {
        let budgetEnd = started &+ budget
        var tried: UInt64 = 0
        while true {
            let now = MonotonicClock.now()
            // Less than a millisecond left cannot fit a produce round trip; spool instead.
            guard now &+ 1_000_000 < budgetEnd, let permit = router.route(excluding: tried, now: now) else { return nil }
            let outcome = await links[permit.cluster].deliver(topic: topic, key: key, value: value,
                                                              deadline: min(now &+ attemptTimeout, budgetEnd))
            router.report(permit, success: outcome.isAcknowledged)
            if outcome.isAcknowledged { return permit.cluster }
            tried |= 1 << UInt64(permit.cluster)
        }
    }

    /// Records in the spool that no cluster has acknowledged yet (0 when everything was delivered).
    public var spoolDepth: Int { spool.depth }

    /// Waits until the background replayer has emptied the spool, or `limit` has passed.
    /// For a process about to stop that would rather deliver its spool than leave it to the next.
    /// - Parameter progress: called with the records left, about once per `interval`.
    /// - Returns: the records still in the spool (0 when all were acknowledged).
    public func waitForSpoolReplay(within limit: Duration, interval: Duration = .seconds(1),
                                   progress: (Int) -> Void = { _ in }) async -> Int {
        let started = ContinuousClock.now
        var reported = started - interval
        while spoolDepth > 0, ContinuousClock.now - started < limit {
            if ContinuousClock.now - reported >= interval {
                progress(spoolDepth)
                reported = ContinuousClock.now
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return spoolDepth
    }

    /// What the token recorder did so far; `nil` when token recording is off.
    public var tokenRecorderStatistics: TokenRecorderStatistics? { recorder?.statistics }

    /// `fdatasync` calls that covered spooled grants (group commit: fewer than spooled grants).
    var spoolSyncCount: Int { spool.syncCount }

    /// Stops accepting grants and returns when every accepted one is acknowledged by a cluster
    /// or in the spool, queued tokens are written, and the producers and spool are closed.
    ///
    /// Grants still in progress finish first; later calls to ``sendBonus(activity:user:bonus:orderID:)``
    /// throw ``RewardError/Code/shuttingDown``. Records left in the spool are replayed by the next
    /// client that opens the same spool directory. Safe to call more than once.
    public func shutdown() async {
        let task = shutdownTask.withLock { task -> Task<Void, Never> in
            if let task { return task }
            let started = Task { await performShutdown() }
            task = started
            return started
        }
        await task.value
    }

    private func performShutdown() async {
        await lifecycle.closeAndWaitUntilIdle()
        await replayer.stop()
        await recorder?.shutdown()
        let flushTimeout = configuration.delivery.shutdownFlushTimeout
        await withTaskGroup(of: Void.self) { group in
            for link in links { group.addTask { await link.shutdown(flushTimeout: flushTimeout) } }
        }
        scheduler.stop()
        await spool.close()
        logger.info("reward client shut down", metadata: ["spoolDepth": "\(spool.depth)"])
    }
}
