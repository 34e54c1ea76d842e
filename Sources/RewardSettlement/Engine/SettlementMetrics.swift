import Metrics
import Synchronization

/// The settlement metrics, made from an injected factory and kept per label and dimensions.
///
/// - `reward_settlements_total{reward_type, outcome}`: every outcome (`credited`,
///   `already_credited` = duplicates absorbed, `conflict`, `held`, `retriable`, `permanent`)
/// - `reward_settlement_conflicts_total{reward_type}`: order ids reused with another identity
/// - `reward_ledger_latency_seconds{ledger}`, `reward_ledger_results_total{ledger, result}`
/// - `reward_budget_used_ratio{activity, reward_type}`: issued / cap (1 = the cap reached)
/// - `reward_settlement_batch_seconds`: one batch, claim to confirm
final class SettlementMetrics: Sendable {
    private let factory: any MetricsFactory
    /// Made once per label and dimensions: a factory lookup per increment would cost more than it.
    private let handles = Mutex<[String: any Sendable]>([:])

    init(factory: any MetricsFactory) {
        self.factory = factory
    }

    func outcomes(_ counts: [String: [String: Int]]) {
        for (type, byOutcome) in counts {
            for (outcome, count) in byOutcome {
                counter("reward_settlements_total", [("reward_type", type), ("outcome", outcome)]).increment(by: count)
                if outcome == "conflict" {
                    counter("reward_settlement_conflicts_total", [("reward_type", type)]).increment(by: count)
                }
            }
        }
    }

    func ledgerCall(_ ledger: String, duration: Duration, results: [LedgerResult]) {
        timer("reward_ledger_latency_seconds", [("ledger", ledger)]).recordNanoseconds(duration.nanoseconds)
        var counts: [String: Int] = [:]
        for result in results { counts[result.label, default: 0] += 1 }
        for (label, count) in counts {
            counter("reward_ledger_results_total", [("ledger", ledger), ("result", label)]).increment(by: count)
        }
    }

    func batch(duration: Duration) {
        timer("reward_settlement_batch_seconds", []).recordNanoseconds(duration.nanoseconds)
    }

    func budget(_ level: BudgetLevel) {
        gauge("reward_budget_used_ratio", [("activity", level.activityID), ("reward_type", level.rewardType)])
            .record(level.percentUsed / 100)
    }

    private func counter(_ label: String, _ dimensions: [(String, String)]) -> Counter {
        handle(label, dimensions) { Counter(label: $0, dimensions: $1, factory: $2) }
    }

    private func timer(_ label: String, _ dimensions: [(String, String)]) -> Metrics.Timer {
        handle(label, dimensions) { Metrics.Timer(label: $0, dimensions: $1, factory: $2) }
    }

    private func gauge(_ label: String, _ dimensions: [(String, String)]) -> Gauge {
        handle(label, dimensions) { Gauge(label: $0, dimensions: $1, factory: $2) }
    }

    private func handle<Handle: Sendable>(
        _ label: String, _ dimensions: [(String, String)], make: (String, [(String, String)], any MetricsFactory) -> Handle
    ) -> Handle {
        let key = "\(Handle.self)|" + Self.key(label, dimensions)
        return handles.withLock { cache in
            if let existing = cache[key] as? Handle { return existing }
            let made = make(label, dimensions, factory)
            cache[key] = made
            return made
        }
    }

    private static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        ([label] + dimensions.map { "\($0.0)=\($0.1)" }).joined(separator: "|")
    }
}

extension Duration {
    /// Whole nanoseconds, saturating.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : scaled + attoseconds / 1_000_000_000
    }
}
