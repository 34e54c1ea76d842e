import Metrics
import Synchronization

/// The wallet's metrics, from an injected factory, made once per label and dimensions.
///
/// - `reward_wallet_views_total{degraded}`: `none`, `tokens`, `claims`, `tokens,claims`
/// - `reward_withdrawals_total{outcome}`: `paid_out`, `payout_pending`, `refused`, `replayed`,
///   `rate_limited`, `invalid`, `failed`
/// - `reward_withdrawal_token_rejections_total{reason}`: ``TokenRejection`` reasons (TokenError
///   codes and the wallet's own, a fixed set)
/// - `reward_withdrawal_force_settled_total{outcome}`: `credited`, `already_credited`
/// - `reward_withdrawal_seconds`: one withdrawal, end to end
/// - `reward_withdrawal_payout_failures_total{kind}`: `retriable`, `permanent`
final class WalletMetrics: Sendable {
    private let factory: any MetricsFactory
    private let handles = Mutex<[String: Counter]>([:])
    let withdrawalDuration: Timer

    init(factory: any MetricsFactory) {
        self.factory = factory
        self.withdrawalDuration = Timer(label: "reward_withdrawal_seconds", dimensions: [], preferredDisplayUnit: .seconds,
                                        factory: factory)
    }

    func view(degraded: [String]) {
        counter("reward_wallet_views_total", ("degraded", degraded.isEmpty ? "none" : degraded.joined(separator: ","))).increment()
    }

    func withdrawal(_ outcome: String) {
        counter("reward_withdrawals_total", ("outcome", outcome)).increment()
    }

    func rejected(_ reason: String, count: Int = 1) {
        counter("reward_withdrawal_token_rejections_total", ("reason", reason)).increment(by: count)
    }

    func forceSettled(_ outcome: String, count: Int) {
        guard count > 0 else { return }
        counter("reward_withdrawal_force_settled_total", ("outcome", outcome)).increment(by: count)
    }

    func payoutFailure(_ kind: String) {
        counter("reward_withdrawal_payout_failures_total", ("kind", kind)).increment()
    }

    private func counter(_ label: String, _ dimension: (String, String)) -> Counter {
        let key = "\(label)|\(dimension.0)=\(dimension.1)"
        return handles.withLock { handles in
            if let existing = handles[key] { return existing }
            let made = Counter(label: label, dimensions: [dimension], factory: factory)
            handles[key] = made
            return made
        }
    }
}
