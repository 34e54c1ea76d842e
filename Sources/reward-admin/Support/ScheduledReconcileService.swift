import Foundation
import Logging
import Metrics
import RewardOps
import RewardRuntime
import ServiceLifecycle
import Synchronization

/// `reward-admin reconcile --every`: cycles of ``ScheduledReconciliation`` beside a /metrics and
/// /healthz server, until SIGTERM. A failed cycle (the database away) is logged, counted and
/// retried at the next tick; healthy means the last cycle succeeded within two intervals.
struct ScheduledReconcileService: Service {
    let schedule: ScheduledReconciliation
    let every: Duration
    let lastSuccess: LastSuccess
    let logger: Logger

    static func run(every: Duration, lookbackHours: Int, graceMinutes: Int, metricsPort: Int, grantLog: GrantLogOptions?) async throws {
        let registry = ProcessMetrics.bootstrapOnce()
        let context = try await CommandContext.make(label: "reward-reconcile")
        let wiring = try SettlementWiring(config: context.config, logger: context.logger)
        let reconciler = Reconciler(pool: wiring.pool, catalog: wiring.catalog, grace: .seconds(graceMinutes * 60), logger: context.logger)
        let service = ScheduledReconcileService(
            schedule: ScheduledReconciliation(reconciler: reconciler, lookback: .seconds(lookbackHours * 3600),
                                              grantLog: try grantLog?.scan(context: context, wiring: wiring), metrics: MetricsSystem.factory),
            every: every, lastSuccess: LastSuccess(), logger: context.logger)
        let server = OperationsServer(
            port: metricsPort, registry: registry, logger: context.logger,
            health: {
                let last = service.lastSuccess.instant.withLock { $0 }
                let fresh = last.map { ContinuousClock.now - $0 < every * 2 + .seconds(60) } ?? false
                return (fresh, ["every": "\(every)"])
            },
            onListening: { port in
                FileHandle.standardOutput.write(Data("reward-admin reconcile: metrics on 127.0.0.1:\(port)\n".utf8))
            })
        let group = ServiceGroup(services: [server, service], gracefulShutdownSignals: [.sigterm, .sigint], logger: context.logger)
        do {
            try await group.run()
        } catch {
            await wiring.shutdown()
            throw error
        }
        await wiring.shutdown()
    }

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                let cycle = try await schedule.cycle()
                lastSuccess.instant.withLock { $0 = .now }
                let open = cycle.openFindings.filter { $0.value > 0 }.map { "\($0.key.rawValue)=\($0.value)" }.sorted()
                FileHandle.standardOutput.write(Data(
                    "reward-admin reconcile: cycle reconciled \(cycle.hours.count) hour(s); open findings: \(open.isEmpty ? "none" : open.joined(separator: ","))\n".utf8))
            } catch {
                logger.error("reconciliation cycle failed; retrying at the next one", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: every) }
        }
    }
}

/// When the last cycle succeeded (shared by the loop and the health check).
final class LastSuccess: Sendable {
    let instant = Mutex<ContinuousClock.Instant?>(nil)
}
