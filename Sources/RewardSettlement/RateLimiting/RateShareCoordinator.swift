import Foundation
public import Logging
public import MariaDB
public import Metrics
public import ServiceLifecycle
import Synchronization

/// Keeps the fleet's sum of rates under each configured rate, and gives each rate to the
/// instances that want it: every consumer process holds a lease in `rate_leases` that lists the
/// rate buckets it wants now (``RewardRateLimiter/demands(within:)``), and takes `1 / n` of a
/// bucket where `n` instances want it (cash first: while any instance wants a bucket for a cash
/// type, instances wanting it for other types take 0 of it).
///
/// - Every `heartbeatInterval` (1 s) the instance refreshes its lease (`heartbeat_at = NOW(6)`,
///   its demands) and reads the demands of the leases younger than `leaseDuration` (3 s). Server
///   time only: no two clocks compared.
/// - A demand new in the lease (or back after a fence) earns a share only two heartbeat intervals
///   after the heartbeat that wrote it returned: by then every instance sharing that bucket has
///   counted it and lowered its own share.
/// - A demand that ends drops its share to 0 before the lease stops saying it, so the others
///   never raise theirs while it still spends.
/// - A departed instance's share is redistributed only after its lease expires (under, never over).
/// - An instance whose heartbeats stop succeeding takes 0 once two intervals have passed since the
///   last heartbeat that succeeded (measured from when it was sent), before the others can see its
///   lease expire at three. The limiter checks that expiry at every permit (``FleetShare``), so a
///   process stopped and resumed spends nothing until a new heartbeat.
/// - On a graceful stop the instance drops to 0 first, then deletes its lease.
///
/// The argument is written out in docs/architecture.md ("Fleet-wide rates").
public final class RateShareCoordinator: Service, Sendable {
    /// Identity and timing of one instance.
    public struct Configuration: Sendable {
        /// A name for this process (e.g. host name and pid); the lease adds a random suffix, so a
        /// restarted process reusing the name never shares a lease with one still running.
        public var instanceID: String
        /// What the lease is listed under (consumers: `lane-<lane>`, which drain checks).
        public var scope: String = "default"
        /// Instances that split the same rates, whatever their scope.
        public var fleet: String = "default"
        /// How often the lease is refreshed. Default 1 s.
        public var heartbeatInterval: Duration = .seconds(1)
        /// A lease younger than this is active. Default 3 s; must exceed two intervals.
        public var leaseDuration: Duration = .seconds(3)
        /// A bucket nobody asked for in this long is no longer wanted, and its share goes to the
        /// instances that want it. Default 3 s: longer than a consumer's spill delay (2 s), so a
        /// saturated type whose overflow waits on the retry topic keeps its share (shorter, the
        /// share went away and came back with every wave: a 2 s join window each time).
        public var demandHold: Duration = .seconds(3)

        /// - Parameter instanceID: A name for this process.
        public init(instanceID: String) {
            self.instanceID = instanceID
        }

        /// Waiting time of a new demand, and the self-fence age: two heartbeat intervals.
        var safetyWindow: Duration { heartbeatInterval * 2 }
    }

    /// One bucket wanted at one priority: a demand's identity in the lease.
    private struct Demand: Hashable {
        var bucket: String
        var priority: RateLimitPriority
    }

    private struct State {
        var lastGoodSentAt: ContinuousClock.Instant?
        /// This instance's demands as written by the last good heartbeat, and since when visible.
        var visibleSince: [Demand: ContinuousClock.Instant] = [:]
        /// Active instances per demand at the last good heartbeat (this one included).
        var wanting: [Demand: Int] = [:]
        var activeCount = 0
        var shares: [String: Double] = [:]
        var heartbeatsSuspended = false
    }

    private let configuration: Configuration
    private let leaseID: String
    private let pool: MariaDBPool
    private let limiter: RewardRateLimiter
    private let logger: Logger
    private let metrics: any MetricsFactory
    private let state = Mutex(State())

    /// Creates a coordinator; nothing happens until ``run()``.
    /// - Parameters:
    ///   - configuration: Instance name, scope, fleet, timing.
    ///   - pool: The coordination database (``SettlementStores/coordination``).
    ///   - limiter: Says what this process wants; receives its shares.
    ///   - logger: Share changes at info level, failed heartbeats at warning.
    ///   - metrics: `reward_rate_fleet_share{scope, bucket}` (this instance's fraction).
    public init(configuration: Configuration, pool: MariaDBPool, limiter: RewardRateLimiter, logger: Logger,
                metrics: any MetricsFactory) {
        precondition(configuration.leaseDuration > configuration.safetyWindow, "the lease must outlast two heartbeat intervals")
        self.configuration = configuration
        self.leaseID = "\(configuration.instanceID.prefix(110))/" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        self.pool = pool
        self.limiter = limiter
        self.logger = logger
        self.metrics = metrics
        limiter.setFleetShare(.none)  // nothing until the fleet has counted us
    }

    /// This instance's fraction of `bucket`'s fleet-wide rate now (0 while joining, fenced or idle).
    public func share(of bucket: String) -> Double { state.withLock { $0.shares[bucket] ?? 0 } }

    /// Active instances counted at the last successful heartbeat (including this one).
    public var activeInstances: Int { state.withLock { $0.activeCount } }

    /// The key of this instance's row in `rate_leases`.
    public var leaseInstanceID: String { leaseID }

    /// Heartbeats until cancelled or a graceful shutdown; then drops to 0 and deletes the lease.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.heartbeatLoop() }
                group.addTask { await self.fenceLoop() }
                await group.waitForAll()
            }
        }
        state.withLock { $0.visibleSince = [:] }
        publish(reason: "stopping")
        do {
            try await pool.execute("DELETE FROM rate_leases WHERE scope = \(configuration.scope) AND instance_id = \(leaseID)")
        } catch {
            logger.warning("could not delete the rate lease; it expires by itself", metadata: ["error": "\(error)"])
        }
    }

    /// Tests: stop sending heartbeats while the process keeps running, as a partition would.
    func suspendHeartbeats() {
        state.withLock { $0.heartbeatsSuspended = true }
    }

    private func heartbeatLoop() async {
        while !Task.isCancelled {
            if !state.withLock({ $0.heartbeatsSuspended }) { await heartbeat() }
            try? await Task.sleep(for: configuration.heartbeatInterval)
        }
    }

    /// Re-evaluates the shares often enough that a waiting demand starts soon after its window.
    private func fenceLoop() async {
        while !Task.isCancelled {
            publish(reason: "tick")
            try? await Task.sleep(for: configuration.heartbeatInterval / 8)
        }
    }

    private func heartbeat() async {
        let sentAt = ContinuousClock.now
        let wanted = Set(limiter.demands(within: configuration.demandHold).map { Demand(bucket: $0.key, priority: $0.value) })
        // A demand that ended (or changed priority) spends nothing from here on, before the lease
        // stops listing it and the others raise their shares.
        let ended = state.withLock { state -> Bool in
            let before = state.visibleSince.count
            state.visibleSince = state.visibleSince.filter { wanted.contains($0.key) }
            return state.visibleSince.count != before
        }
        if ended { publish(reason: "demand ended") }
        let leaseMicroseconds = configuration.leaseDuration.nanoseconds / 1000
        do {
            let demandsJSON = Self.encode(wanted)
            let leases = try await pool.withConnection { connection -> [String] in
                try await connection.execute("""
                    INSERT INTO rate_leases (scope, instance_id, fleet, heartbeat_at, joined_at, demands)
                    VALUES (\(configuration.scope), \(leaseID), \(configuration.fleet), NOW(6), NOW(6), \(demandsJSON))
                    ON DUPLICATE KEY UPDATE heartbeat_at = NOW(6), demands = VALUES(demands)
                    """)
                let rows = try await connection.query("""
                    SELECT demands FROM rate_leases
                    WHERE fleet = \(configuration.fleet) AND heartbeat_at >= NOW(6) - INTERVAL \(leaseMicroseconds) MICROSECOND
                    """)
                return try rows.map { try $0.decode("demands", as: String.self) }
            }
            let ackedAt = ContinuousClock.now
            let wanting = Self.count(leases, buckets: Set(limiter.bucketNames))
            let window = configuration.safetyWindow
            state.withLock { state in
                // Back after a fence, the others may have expired us and raised their shares:
                // every demand waits the window again, as a new one does.
                let rejoining = state.lastGoodSentAt.map { sentAt - $0 >= window } ?? true
                var since: [Demand: ContinuousClock.Instant] = [:]
                for demand in wanted { since[demand] = rejoining ? ackedAt : (state.visibleSince[demand] ?? ackedAt) }
                state.visibleSince = since
                state.lastGoodSentAt = sentAt
                state.wanting = wanting
                state.activeCount = max(1, leases.count)
            }
        } catch {
            logger.warning("rate lease heartbeat failed", metadata: ["error": "\(error)"])
        }
        publish(reason: "heartbeat")
    }

    /// Instances per demand. A lease this version cannot read counts as wanting every bucket at
    /// the highest priority: under, never over.
    private static func count(_ leases: [String], buckets: Set<String>) -> [Demand: Int] {
        var wanting: [Demand: Int] = [:]
        for lease in leases {
            let demands = decode(lease) ?? buckets.map { Demand(bucket: $0, priority: .high) }
            for demand in Set(demands) { wanting[demand, default: 0] += 1 }
        }
        return wanting
    }

    private static func encode(_ demands: Set<Demand>) -> String {
        let object = Dictionary(demands.map { ($0.bucket, $0.priority.rawValue) }, uniquingKeysWith: min)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        guard let data = try? encoder.encode(object) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    private static func decode(_ json: String) -> [Demand]? {
        guard let object = try? JSONDecoder().decode([String: Int].self, from: Data(json.utf8)) else { return nil }
        var demands: [Demand] = []
        for (bucket, raw) in object {
            guard let priority = RateLimitPriority(rawValue: raw) else { return nil }
            demands.append(Demand(bucket: bucket, priority: priority))
        }
        return demands
    }

    private func shares(_ state: State, now: ContinuousClock.Instant) -> [String: Double] {
        guard let lastGood = state.lastGoodSentAt, now - lastGood < configuration.safetyWindow else { return [:] }  // fenced
        var shares: [String: Double] = [:]
        for (demand, since) in state.visibleSince where now - since >= configuration.safetyWindow {
            // Cash first: while anyone wants this bucket for cash, the others wait.
            if demand.priority != .high, state.wanting[Demand(bucket: demand.bucket, priority: .high), default: 0] > 0 { continue }
            shares[demand.bucket] = 1 / Double(max(1, state.wanting[demand, default: 1]))
        }
        return shares
    }

    private func publish(reason: String) {
        let changes = state.withLock { state -> [(String, Double)] in
            let now = ContinuousClock.now
            let shares = shares(state, now: now)
            let validUntil = state.lastGoodSentAt.map { $0 + configuration.safetyWindow }
            // The limiter first, under this lock (so two publishers never cross): whoever reads
            // `share(of:)` finds that rate already in force.
            limiter.setFleetShares(shares.mapValues { FleetShare(fraction: $0, validUntil: validUntil) }, otherwise: .none)
            let changed = Set(shares.keys).union(state.shares.keys)
                .filter { shares[$0] != state.shares[$0] }
                .map { ($0, shares[$0] ?? 0) }
            state.shares = shares
            return changed
        }
        for (bucket, share) in changes {
            Gauge(label: "reward_rate_fleet_share", dimensions: [("scope", configuration.scope), ("bucket", bucket)], factory: metrics)
                .record(share)
            logger.info("fleet rate share changed", metadata: [
                "instance": "\(leaseID)", "bucket": "\(bucket)", "share": "\(share)", "reason": "\(reason)",
            ])
        }
    }
}
