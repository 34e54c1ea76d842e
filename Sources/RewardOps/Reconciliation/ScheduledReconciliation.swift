public import Foundation
import Logging
import MariaDB
public import Metrics

/// Reconciliation on a schedule (`reward-admin reconcile --every 1h`): each cycle reconciles every
/// closed hour of the look-back window that has no hourly run yet, and again every hour whose
/// latest run found differences (so a repaired hour turns clean by itself), one run per hour.
/// An hour is closed once its end is `grace` behind: its grants have had time to be credited.
///
/// Exports, after each cycle: `reward_reconcile_findings{kind}` (the differences in the latest
/// run of each hour in the window, not yet repaired: what needs a person now),
/// `reward_reconcile_last_cycle_timestamp_seconds` and `reward_reconcile_cycle_failures_total`.
/// Repair stays a person's decision (`reward-admin reconcile --repair`).
public struct ScheduledReconciliation: Sendable {
    public struct Cycle: Sendable, Equatable {
        /// The hours reconciled in this cycle (start of each).
        public var hours: [Date]
        /// Open findings in the window by kind, every kind present (0 when none).
        public var openFindings: [ReconciliationFinding.Kind: Int]
    }

    public let reconciler: Reconciler
    public let lookback: Duration
    private let findingGauges: [ReconciliationFinding.Kind: Gauge]
    private let lastCycle: Gauge
    private let failures: Counter

    /// - Parameters:
    ///   - reconciler: Its `grace` also decides when an hour is closed.
    ///   - lookback: How far back hours are reconciled and findings counted. Default 24 h.
    public init(reconciler: Reconciler, lookback: Duration = .seconds(24 * 3600), metrics: any MetricsFactory) {
        self.reconciler = reconciler
        self.lookback = lookback
        findingGauges = Dictionary(uniqueKeysWithValues: ReconciliationFinding.Kind.allCases.map {
            ($0, Gauge(label: "reward_reconcile_findings", dimensions: [("kind", $0.rawValue)], factory: metrics))
        })
        lastCycle = Gauge(label: "reward_reconcile_last_cycle_timestamp_seconds", factory: metrics)
        failures = Counter(label: "reward_reconcile_cycle_failures_total", factory: metrics)
    }

    /// The hours due at `now`: closed, in the window, and never reconciled or last found dirty.
    static func due(now: Date, grace: Duration, lookback: Duration, latest: [Date: HourlyRun]) -> [Date] {
        let hour = 3600.0
        let lastClosedEnd = Reconciler.hour(of: now.addingTimeInterval(-Double(grace.components.seconds)))
        let first = Reconciler.hour(of: now.addingTimeInterval(-Double(lookback.components.seconds)))
        var hours: [Date] = []
        var start = first
        while start.addingTimeInterval(hour) <= lastClosedEnd {
            if latest[start].map({ $0.findings > 0 }) ?? true { hours.append(start) }
            start = start.addingTimeInterval(hour)
        }
        return hours
    }

    /// One cycle at `now`; records each run and updates the metrics.
    public func cycle(now: Date = Date()) async throws -> Cycle {
        do {
            let store = ReconciliationStore(pool: reconciler.pool)
            let since = Reconciler.hour(of: now.addingTimeInterval(-Double(lookback.components.seconds)))
            let hours = Self.due(now: now, grace: reconciler.grace, lookback: lookback,
                                 latest: try await store.latestHourlyRuns(since: since))
            for start in hours {
                let report = try await reconciler.run(from: start, to: start.addingTimeInterval(3600), now: now)
                reconciler.logger.log(level: report.isClean ? .info : .warning, "hour reconciled", metadata: [
                    "hour": "\(Formatting.timestamp(start))", "run": "\(report.runID ?? 0)", "findings": "\(report.findings.count)",
                ])
            }
            var open = try await store.openFindings(runs: try await store.latestHourlyRuns(since: since).values.map(\.runID))
            for kind in ReconciliationFinding.Kind.allCases {
                open[kind, default: 0] += 0
                findingGauges[kind]?.record(open[kind] ?? 0)
            }
            lastCycle.record(now.timeIntervalSince1970)
            return Cycle(hours: hours, openFindings: open)
        } catch {
            failures.increment()
            throw error
        }
    }
}

/// The latest one-hour run of an hour.
struct HourlyRun: Sendable, Equatable {
    var runID: Int64
    var findings: Int
}
