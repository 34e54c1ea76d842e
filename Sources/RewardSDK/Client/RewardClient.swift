public import CoreMetrics
import Foundation
import Kafka
public import Logging
import MariaDB
public import RewardCore
public import RewardStores
import Synchronization

/// The reward SDK an activity service links: grants a reward, returns its signed token, and
/// guarantees the grant reaches a Kafka cluster or the local durable spool before answering.
///
/// ``sendBonus(activity:user:bonus:orderID:)`` validates the grant, mints a `RewardToken`,
/// builds a `BonusEvent` keyed by the order id and produces it to the lane's topic on one of
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
    /// The operators' live controls as this client applies them (`nil` when
    /// ``RewardClientConfiguration/controls`` is not set); a host may read its other switches here.
    public let controls: ControlWatcher?
    private let controlPoll: Task<Void, Never>?
    private let cashTopic: String
    private let goodsTopic: String
    private let budget: UInt64
    private let promise: UInt64
    private let latency: LatencyTracker
    private let delivery: GrantDelivery.Context
    private let readyClusters: Mutex<Set<Int>> = Mutex([])
    private let shutdownTask = Mutex<Task<Void, Never>?>(nil)

    /// Opens the spool (replaying what an earlier process left), starts one producer per cluster
    /// and, when configured, the token recorder.
    /// - Parameters:
    ///   - configuration: Clusters, catalog, keys, spool and delivery settings.
    ///   - logger: Receives the client's logs; user ids are never logged at info or above.
    ///   - metrics: Where the client's metrics go (see the metric names in the module's docs).
    /// - Throws: `ConfigurationError` for an unusable configuration or a spool directory that
    ///   another live process holds; `KafkaError` when a producer cannot be created.
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
                var producer = KafkaProducerConfiguration(connection: cluster.connection)
                producer.clientID = "reward-sdk-\(cluster.name.rawValue.lowercased())"
                producer.linger = configuration.delivery.linger
                // Frequent enough for start() to see the producer id and the brokers without waiting long.
                producer.statisticsInterval = .milliseconds(200)
                producer.additionalProperties = configuration.delivery.producerProperties
                let settings = producer
                links.append(try ClusterLink(
                    name: cluster.name, makeProducer: { () throws(KafkaError) in try KafkaProducer(configuration: settings, logger: logger) },
                    scheduler: scheduler, logger: logger))
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
        self.budget = configuration.delivery.budget.nanoseconds
        self.promise = configuration.delivery.promise.nanoseconds
        let latency = LatencyTracker(clusters: links.count, rule: LatencyTracker.Rule(
            floor: configuration.delivery.hedgeFloor.nanoseconds,
            ceiling: max(configuration.delivery.hedgeFloor.nanoseconds, budget / 2),
            factor: configuration.delivery.hedgeFactor))
        self.latency = latency
        self.delivery = GrantDelivery.Context(router: router, links: links, latency: latency, hedges: HedgeBudget(), scheduler: scheduler,
                                              onHedge: { cluster in metrics.hedged(cluster: cluster) })
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
        let controls = configuration.controls.map { database in
            ControlWatcher(store: ControlStore(pool: MariaDBPool(configuration: Self.controlDatabase(database), logger: logger)),
                           logger: logger)
        }
        if let controls {
            do {
                try await controls.load()
            } catch {
                logger.warning("controls not readable at start: only the catalog's switches apply until they are",
                               metadata: ["error": "\(error)"])
            }
        }
        self.controls = controls
        controlPoll = controls.map { watcher in Task { await watcher.run() } }
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
    /// - Throws: `RewardError` with the field's code for an invalid grant (nothing is produced or
    ///   spooled), `RewardError/Code/notDurable` when neither a cluster nor the spool took the
    ///   event, `RewardError/Code/shuttingDown` after ``shutdown()`` began.
    public func sendBonus(activity: Activity, user: User, bonus: BonusContent, orderID: OrderID) async throws(RewardError)
        -> RewardToken
    {
        try await sendBonus(activity: activity, user: user, bonus: bonus, orderID: orderID, grantedBy: configuration.serviceID)
    }

    /// Grants one reward on behalf of a service (reward-api grants for the service that signed the
    /// request); otherwise the same as ``sendBonus(activity:user:bonus:orderID:)``.
    /// - Parameters:
    ///   - activity: The campaign and scene.
    ///   - user: Who is credited.
    ///   - bonus: Reward type, amount in the type's minor units, extensions.
    ///   - orderID: The caller's global idempotency key.
    ///   - grantedBy: The granting service's id, recorded with the token and carried in the event.
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
            if let controls {
                let off = controls.grantRefusals
                if off.rewardTypes.contains(type.id) {
                    throw RewardError(.rewardTypeDisabled, "reward type \(type.id) is switched off for now")
                }
                if off.activities.contains(activity.id) {
                    throw RewardError(.activityDisabled, "activity \(activity.id) is switched off for now")
                }
            }
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

        switch await GrantDelivery.deliver(delivery, topic: topic, key: key, value: value, budgetEnd: started &+ budget) {
        case .acknowledged(let cluster):
            counters.acknowledged[cluster].increment()
        case .refused(let error):
            // Nothing was stored anywhere: no event, no spool, no token record. The token the caller
            // gets expired when it was issued, so no path can ever pay it.
            metrics.rejected(type.id, .deliveryRefused)
            logger.error("grant refused by every cluster for good; nothing was produced or spooled",
                         metadata: ["order": "\(orderID)", "error": "\(error)"])
            var void = configuration.keyRing
            void.lifetime = .zero
            throw RewardError(.deliveryRefused, "the clusters refused this grant for good (\(error.code)); nothing will be credited",
                              token: void.mint(orderID: orderID, userID: user.id, rewardType: type.id, amount: bonus.amount,
                                               activityID: activity.id, issuedAt: now))
        case .unanswered:
            switch await spoolWithinPromise(SpoolRecord(topic: topic, key: key, value: value), started: started) {
            case .durable:
                counters.spooled.increment()
                logger.debug("grant spooled", metadata: ["order": "\(orderID)"])
            case .failed(let reason):
                metrics.rejected(type.id, .notDurable)
                logger.error("grant not durable: no cluster acknowledged it in time and the spool did not store it in time",
                             metadata: ["order": "\(orderID)", "spool": "\(reason)"])
                throw RewardError(.notDurable, """
                    no cluster acknowledged the grant in time and the local spool did not store it within the grant's \
                    time (\(reason)); it may still land: retry with the same order id
                    """, token: token)
            }
        }

        recorder?.record(TokenRecord(
            userID: user.id, orderID: orderID.rawValue, token: token.encoded, activityID: activity.id,
            sceneID: activity.sceneID, rewardType: type.id, amount: bonus.amount,
            issuedAt: Date(timeIntervalSince1970: TimeInterval(token.issuedAt)),
            expiresAt: Date(timeIntervalSince1970: TimeInterval(token.expiresAt)), recordedAt: now, grantedBy: grantedBy))
        metrics.grantDuration.recordNanoseconds(Int64(clamping: MonotonicClock.now() &- started))
        return token
    }

    private enum SpoolResult: Sendable {
        case durable
        case failed(String)
    }

    /// Appends to the spool, but answers by the end of the promise: a disk that cannot sync in
    /// time answers `failed("too slow")` while the write carries on (it may still land; the caller
    /// retries with the same order id, and a duplicate is absorbed by order id).
    private func spoolWithinPromise(_ record: SpoolRecord, started: UInt64) async -> SpoolResult {
        let spool = self.spool
        return await withUnsafeContinuation { continuation in
            let once = SpoolWait(continuation)
            Task {
                do {
                    try await spool.append(record)
                    once.resume(.durable)
                } catch {
                    once.resume(.failed("\(error)"))
                }
            }
            scheduler.schedule(once, deadline: started &+ promise)
        }
    }

    /// Resumed once: by the spool's answer or by the promise's end.
    private final class SpoolWait: Expirable {
        private let continuation: Mutex<UnsafeContinuation<SpoolResult, Never>?>

        init(_ continuation: UnsafeContinuation<SpoolResult, Never>) { self.continuation = Mutex(continuation) }

        func resume(_ result: SpoolResult) { continuation.withLock { $0.take() }?.resume(returning: result) }

        func expire() { resume(.failed("the spool's disk did not sync within the grant's time")) }
    }

    /// Connects to every cluster before the first grant: each lane topic exists with a leader per
    /// partition, the idempotent producer holds its producer id, and every broker is connected.
    /// Waits for all clusters up to `timeout`; a cluster not ready by then is logged and left to
    /// come up later (grants fail over meanwhile). Calling it again re-checks the clusters not ready.
    /// - Parameter timeout: default ``RewardClientConfiguration/DeliveryOptions/readinessTimeout``.
    /// - Throws: `RewardError` `RewardError/Code/notReady` when no cluster became ready, or a
    ///   lane topic is missing on a cluster (a configuration error: the message names it).
    public func start(timeout: Duration? = nil) async throws(RewardError) {
        let limit = timeout ?? configuration.delivery.readinessTimeout
        let topics = [cashTopic, goodsTopic]
        let pending = links.indices.filter { index in !readyClusters.withLock { $0.contains(index) } }
        let results = await withTaskGroup(of: (Int, KafkaError?).self) { group in
            for index in pending {
                let link = links[index]
                group.addTask {
                    do throws(KafkaError) {
                        try await link.waitUntilReady(topics: topics, timeout: limit)
                        return (index, nil)
                    } catch {
                        return (index, error)
                    }
                }
            }
            var results: [(Int, KafkaError?)] = []
            for await result in group { results.append(result) }
            return results
        }
        var missingTopic: KafkaError?
        for (index, error) in results {
            if let error {
                if error.code == .unknownTopic { missingTopic = error }
                logger.warning("cluster not ready; grants use the others until it is", metadata: [
                    "cluster": "\(links[index].name)", "error": "\(error)",
                ])
            } else {
                _ = readyClusters.withLock { $0.insert(index) }
                logger.info("cluster ready", metadata: ["cluster": "\(links[index].name)"])
            }
        }
        if let missingTopic {
            throw RewardError(.notReady, "a lane topic is missing: \(missingTopic.message); create it (reward-admin topics apply)")
        }
        guard isReady else {
            throw RewardError(.notReady, "no cluster was ready within \(limit): check the brokers in the cluster directory")
        }
    }

    /// Whether ``start(timeout:)`` found at least one cluster ready.
    public var isReady: Bool { !readyClusters.withLock { $0.isEmpty } }

    /// The clusters ``start(timeout:)`` found ready, by name.
    public var readyClusterNames: [ClusterName] {
        readyClusters.withLock { ready in ready.sorted().map { links[$0].name } }
    }

    /// A cluster's recent acknowledgement p99 (`nil` until it has enough samples), for operators.
    public func acknowledgementP99(_ cluster: ClusterName) -> Duration? {
        guard let index = links.firstIndex(where: { $0.name == cluster }), let p99 = latency.p99(cluster: index) else { return nil }
        return .nanoseconds(Int64(p99))
    }

    /// Producers rebuilt after a fatal error, over all clusters.
    public var producerRebuilds: Int { links.reduce(0) { $0 + $1.rebuildCount } }

    /// Records in the spool that no cluster has acknowledged yet (0 when everything was delivered).
    public var spoolDepth: Int { spool.depth }

    /// Waits until the background replayer has emptied the spool, or `limit` has passed.
    /// For a process about to stop that would rather deliver its spool than leave it to the next.
    /// - Parameters:
    ///   - limit: The longest to wait.
    ///   - interval: How often to look (and to call `progress`).
    ///   - progress: called with the records left, about once per `interval`.
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
    /// throw `RewardError/Code/shuttingDown`. Records left in the spool are replayed by the next
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

    /// The control poll's own connection, failing fast: it must never hold up a grant's host.
    private static func controlDatabase(_ database: MariaDBConfiguration) -> MariaDBConfiguration {
        var database = database
        database.pool.maxConnections = 1
        database.pool.acquireTimeout = .seconds(1)
        database.connectTimeout = .seconds(2)
        database.readTimeout = .seconds(2)
        return database
    }

    private func performShutdown() async {
        await lifecycle.closeAndWaitUntilIdle()
        await replayer.stop()
        await recorder?.shutdown()
        controlPoll?.cancel()
        await controlPoll?.value
        await controls?.store.pool.shutdown()
        let flushTimeout = configuration.delivery.shutdownFlushTimeout
        await withTaskGroup(of: Void.self) { group in
            for link in links { group.addTask { await link.shutdown(flushTimeout: flushTimeout) } }
        }
        scheduler.stop()
        await spool.close()
        logger.info("reward client shut down", metadata: ["spoolDepth": "\(spool.depth)"])
    }
}
