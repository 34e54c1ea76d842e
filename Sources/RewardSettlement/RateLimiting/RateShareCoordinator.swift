public import Logging
public import MariaDB
public import Metrics
public import ServiceLifecycle
import Synchronization

/// Keeps the fleet's sum of rates under each configured rate: every consumer process holds a
/// lease in `rate_leases` and takes `1 / active instances` of every rate.
///
/// - Every `heartbeatInterval` (1 s) the instance refreshes its lease (`heartbeat_at = NOW(6)`) and
///   counts the leases younger than `leaseDuration` (3 s). Server time only: no two clocks compared.
/// - A joining instance takes 0 until two heartbeat intervals after its first lease was written, so
///   every running instance has counted it and lowered its own share before it raises its own.
/// - A departed instance's share is redistributed only after its lease expires: the others keep
///   counting it until then (under, never over).
/// - An instance whose heartbeats stop succeeding takes 0 once two intervals have passed since the
///   last heartbeat that succeeded (measured from when it was sent), before the others can see its
///   lease expire at three: a partitioned instance stops before its share is handed out again.
/// - On a graceful stop the instance drops to 0 first, then deletes its lease.
///
/// The argument is written out in docs/architecture.md ("Fleet-wide rates").
public final class RateShareCoordinator: Service, Sendable {
    /// Identity and timing of one instance.
    public struct Configuration: Sendable {
        /// Unique per process (e.g. host name and pid).
        public var instanceID: String
        /// Instances that share the same rates (one fleet); others in the table are not counted.
        public var scope: String = "default"
        /// How often the lease is refreshed. Default 1 s.
        public var heartbeatInterval: Duration = .seconds(1)
        /// A lease younger than this is active. Default 3 s; must exceed two intervals.
        public var leaseDuration: Duration = .seconds(3)

        /// - Parameter instanceID: Unique per process.
        public init(instanceID: String) {
            self.instanceID = instanceID
        }

        /// Waiting time of a joiner, and the self-fence age: two heartbeat intervals.
        var safetyWindow: Duration { heartbeatInterval * 2 }
    }

    private struct State {
        var joinedAt: ContinuousClock.Instant?
        var lastGoodSentAt: ContinuousClock.Instant?
        var activeCount = 0
        var share: Double = 0
        var heartbeatsSuspended = false
    }

    private let configuration: Configuration
    private let pool: MariaDBPool
    private let limiter: RewardRateLimiter?
    private let logger: Logger
    private let shareGauge: Gauge
    private let state = Mutex(State())

    /// Creates a coordinator; nothing happens until ``run()``.
    /// - Parameters:
    ///   - configuration: Instance id, scope, timing.
    ///   - pool: The coordination database (``SettlementStores/coordination``).
    ///   - limiter: Receives the share through ``RewardRateLimiter/setFleetShare(_:)``.
    ///   - logger: Share changes at info level, failed heartbeats at warning.
    ///   - metrics: `reward_rate_fleet_share` (this instance's fraction) and `reward_rate_fleet_instances`.
    public init(configuration: Configuration, pool: MariaDBPool, limiter: RewardRateLimiter?, logger: Logger,
                metrics: any MetricsFactory) {
        precondition(configuration.leaseDuration > configuration.safetyWindow, "the lease must outlast two heartbeat intervals")
        self.configuration = configuration
        self.pool = pool
        self.limiter = limiter
        self.logger = logger
        self.shareGauge = Gauge(label: "reward_rate_fleet_share", dimensions: [("scope", configuration.scope)], factory: metrics)
        limiter?.setFleetShare(0)  // nothing until the fleet has counted us
    }

    /// This instance's fraction of every fleet-wide rate now (0 while joining or fenced).
    public var share: Double { state.withLock { $0.share } }

    /// Active instances counted at the last successful heartbeat (including this one).
    public var activeInstances: Int { state.withLock { $0.activeCount } }

    /// Heartbeats until cancelled or a graceful shutdown; then drops to 0 and deletes the lease.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.heartbeatLoop() }
                group.addTask { await self.fenceLoop() }
                await group.waitForAll()
            }
        }
        publish(0, reason: "stopping")
        do {
            try await pool.execute(
                "DELETE FROM rate_leases WHERE scope = \(configuration.scope) AND instance_id = \(configuration.instanceID)")
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

    /// Re-evaluates the share often enough that the fence acts well before a lease can expire.
    private func fenceLoop() async {
        while !Task.isCancelled {
            publish(computeShare(now: .now), reason: "tick")
            try? await Task.sleep(for: configuration.heartbeatInterval / 8)
        }
    }

    private func heartbeat() async {
        let sentAt = ContinuousClock.now
        let leaseMicroseconds = configuration.leaseDuration.nanoseconds / 1000
        do {
            let count = try await pool.withConnection { connection -> Int in
                try await connection.execute("""
                    INSERT INTO rate_leases (scope, instance_id, heartbeat_at, joined_at)
                    VALUES (\(configuration.scope), \(configuration.instanceID), NOW(6), NOW(6))
                    ON DUPLICATE KEY UPDATE heartbeat_at = NOW(6)
                    """)
                let rows = try await connection.query("""
                    SELECT COUNT(*) AS active FROM rate_leases
                    WHERE scope = \(configuration.scope) AND heartbeat_at >= NOW(6) - INTERVAL \(leaseMicroseconds) MICROSECOND
                    """)
                return try rows.first?.decode("active", as: Int.self) ?? 0
            }
            let ackedAt = ContinuousClock.now
            let window = configuration.safetyWindow
            state.withLock { state in
                // First lease, or back after a fence (the others may have expired us and raised
                // their shares): visible from here on, so wait the safety window again.
                if state.joinedAt == nil || state.lastGoodSentAt.map({ sentAt - $0 >= window }) ?? true {
                    state.joinedAt = ackedAt
                }
                state.lastGoodSentAt = sentAt
                state.activeCount = max(1, count)
            }
        } catch {
            logger.warning("rate lease heartbeat failed", metadata: ["error": "\(error)"])
        }
        publish(computeShare(now: .now), reason: "heartbeat")
    }

    private func computeShare(now: ContinuousClock.Instant) -> Double {
        state.withLock { state in
            guard let joinedAt = state.joinedAt, let lastGood = state.lastGoodSentAt, state.activeCount > 0 else { return 0 }
            guard now - joinedAt >= configuration.safetyWindow else { return 0 }  // joining: let the others lower first
            guard now - lastGood < configuration.safetyWindow else { return 0 }  // fenced: cannot see the fleet
            return 1 / Double(state.activeCount)
        }
    }

    private func publish(_ share: Double, reason: String) {
        let changed = state.withLock { state -> Bool in
            guard state.share != share else { return false }
            // The limiter first: whoever reads `share` finds that rate already in force (CI saw
            // share 1 with the limiter still at 0).
            limiter?.setFleetShare(share)
            state.share = share
            return true
        }
        guard changed else { return }
        shareGauge.record(share)
        logger.info("fleet rate share changed", metadata: [
            "instance": "\(configuration.instanceID)", "share": "\(share)", "reason": "\(reason)",
        ])
    }
}
