import Configuration
import Foundation
import Logging
import MariaDB
import RewardConsumer
import RewardCore
import ServiceLifecycle
import Synchronization

/// What the consumer's `/healthz` and `/readyz` say, from its real state:
/// - healthy: the database answered within `databaseGrace` (probed every 2 s on a connection of
///   its own), and no owned partition's commit point has been held by the same record for longer
///   than `stallLimit` (the lag would grow while the process looks busy). A supervisor restarting
///   an unhealthy consumer loses nothing: uncommitted records are read again, settled once.
/// - ready: the group has assigned this instance its partitions and the database answers now.
final class ConsumerHealth: Service, Sendable {
    struct Settings: Sendable {
        var stallLimit: Duration = .seconds(120)
        var databaseGrace: Duration = .seconds(30)

        /// `consumer.stallSeconds` and `consumer.databaseGraceSeconds`, 1-86,400 each.
        init(config: ConfigReader) throws(ConfigurationError) {
            let stall = config.int(forKey: "consumer.stallSeconds", default: 120)
            let grace = config.int(forKey: "consumer.databaseGraceSeconds", default: 30)
            guard (1...86_400).contains(stall), (1...86_400).contains(grace) else {
                throw ConfigurationError(code: "consumer.invalid_health", message: """
                    consumer.stallSeconds (\(stall)) and consumer.databaseGraceSeconds (\(grace)) must be 1-86400 seconds
                    """)
            }
            stallLimit = .seconds(stall)
            databaseGrace = .seconds(grace)
        }
    }

    private struct Probe {
        var lastAnswer: ContinuousClock.Instant?
        var failingSince: ContinuousClock.Instant?
        var lastError: String?
    }

    private let lane: LaneConsumer
    private let pool: MariaDBPool
    private let settings: Settings
    private let identity: [String: String]
    private let probe = Mutex(Probe())
    private let started = ContinuousClock.now

    init(lane: LaneConsumer, pool: MariaDBPool, settings: Settings, identity: [String: String]) {
        self.lane = lane
        self.pool = pool
        self.settings = settings
        self.identity = identity.merging(["version": RewardVersion.current]) { a, _ in a }
    }

    /// Probes the database every 2 s until shutdown.
    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.probeOnce()
                try? await Task.sleep(for: .seconds(2))
            }
        }
    }

    private func probeOnce() async {
        do {
            _ = try await pool.query("SELECT 1 AS one")
            probe.withLock { $0 = Probe(lastAnswer: .now) }
        } catch {
            let text = String(describing: error).prefix(200)
            probe.withLock { state in
                if state.failingSince == nil { state.failingSince = .now }
                state.lastError = String(text)
            }
        }
    }

    /// The database's state for a person: `ok`, or how long it has not answered and why.
    private func database(now: ContinuousClock.Instant) -> (answering: Bool, silentFor: Duration, text: String) {
        let state = probe.withLock { $0 }
        guard state.lastAnswer == nil || state.failingSince != nil else { return (true, .zero, "ok") }
        let since = state.failingSince ?? started
        let silent = now - since
        return (false, silent, "not answering for \(Int(silent.components.seconds)) s: \(state.lastError ?? "not probed yet")")
    }

    func health() -> (healthy: Bool, details: [String: String]) {
        let now = ContinuousClock.now
        let database = database(now: now)
        let stalled = lane.stalledPartitions(longerThan: settings.stallLimit)
        var details = identity
        details["partitions"] = "\(lane.ownedPartitions)"
        details["inFlight"] = "\(lane.inFlight)"
        details["database"] = database.text
        if !stalled.isEmpty {
            details["stalled"] = stalled.sorted { $0.held > $1.held }.prefix(8)
                .map { "\($0.partition.topic)/\($0.partition.partition) for \(Int($0.held.components.seconds)) s" }.joined(separator: ", ")
        }
        let healthy = stalled.isEmpty && (database.answering || database.silentFor < settings.databaseGrace)
        return (healthy, details)
    }

    func readiness() -> (healthy: Bool, details: [String: String]) {
        let database = database(now: .now)
        var details = identity
        details["joined"] = lane.joined ? "yes" : "not yet (waiting for the group's assignment)"
        details["database"] = database.text
        return (lane.joined && database.answering, details)
    }
}
