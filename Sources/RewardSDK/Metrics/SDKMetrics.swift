import CoreMetrics
import RewardCore

/// The SDK's metrics, created once from the injected factory so a grant only increments.
///
/// - `reward_sdk_grants_total{reward_type, outcome}`: outcome `acked_<cluster>` (`acked_a`,
///   `acked_b`), `spooled`, or `rejected:<code>`; types outside the catalog count as `unknown`.
/// - `reward_sdk_grant_duration_seconds` (timer): how long `sendBonus` took, accepted grants only.
/// - `reward_sdk_spool_depth` (gauge): spooled records not yet acknowledged through replay.
/// - `reward_sdk_spool_replayed_total{cluster}`: records replayed and acknowledged.
/// - `reward_sdk_spool_quarantined{kind}` (gauge): what the spool's quarantine holds; `refused`:
///   records a cluster refused for good, `damaged`: segments kept because part could not be read.
/// - `reward_sdk_cluster_health{cluster}` (gauge): 2 healthy, 1 probing, 0 out of rotation.
/// - `reward_sdk_hedged_total{cluster}`: grants also sent to this cluster after the first was slow or failed.
/// - `reward_sdk_tokens_recorded_total`, `reward_sdk_tokens_dropped_total{reason}`,
///   `reward_sdk_token_insert_statements_total`: the token recorder.
struct SDKMetrics: Sendable {
    /// The counters of one reward type, indexed so the hot path does no string work.
    struct TypeCounters: Sendable {
        let acknowledged: [Counter]
        let spooled: Counter
        let rejected: [String: Counter]
    }

    static let rejectionCodes: [RewardError.Code] = [
        .invalidActivityID, .invalidSceneID, .invalidUserID, .invalidDeviceID, .invalidAppID, .invalidOrderID,
        .invalidRewardType, .unknownRewardType, .rewardTypeDisabled, .activityDisabled, .amountOutOfRange, .invalidExtension,
        .extensionTooLarge, .invalidGrantedBy, .notDurable, .deliveryRefused, .shuttingDown,
    ]

    private let byType: [String: TypeCounters]
    private let unknownType: TypeCounters
    let grantDuration: CoreMetrics.Timer
    let spoolDepth: Gauge
    private let replayed: [Counter]
    private let hedges: [Counter]
    private let quarantinedRefused: Gauge
    private let quarantinedDamaged: Gauge
    private let clusterHealth: [Gauge]
    let tokensRecorded: Counter
    let tokensDroppedQueueFull: Counter
    let tokensDroppedWriteFailed: Counter
    let tokenInsertStatements: Counter

    init(factory: any MetricsFactory, rewardTypes: [String], clusters: [ClusterName]) {
        func counters(_ type: String) -> TypeCounters {
            let label = "reward_sdk_grants_total"
            return TypeCounters(
                acknowledged: clusters.map {
                    Counter(label: label, dimensions: [("reward_type", type), ("outcome", "acked_\($0.rawValue.lowercased())")],
                            factory: factory)
                },
                spooled: Counter(label: label, dimensions: [("reward_type", type), ("outcome", "spooled")], factory: factory),
                rejected: Dictionary(uniqueKeysWithValues: Self.rejectionCodes.map { code in
                    (code.rawValue, Counter(label: label, dimensions: [("reward_type", type), ("outcome", "rejected:\(code.rawValue)")],
                                            factory: factory))
                }))
        }
        byType = Dictionary(uniqueKeysWithValues: rewardTypes.map { ($0, counters($0)) })
        unknownType = counters("unknown")
        grantDuration = CoreMetrics.Timer(label: "reward_sdk_grant_duration_seconds", factory: factory)
        spoolDepth = Gauge(label: "reward_sdk_spool_depth", factory: factory)
        replayed = clusters.map {
            Counter(label: "reward_sdk_spool_replayed_total", dimensions: [("cluster", $0.rawValue)], factory: factory)
        }
        hedges = clusters.map {
            Counter(label: "reward_sdk_hedged_total", dimensions: [("cluster", $0.rawValue)], factory: factory)
        }
        quarantinedRefused = Gauge(label: "reward_sdk_spool_quarantined", dimensions: [("kind", "refused")], factory: factory)
        quarantinedDamaged = Gauge(label: "reward_sdk_spool_quarantined", dimensions: [("kind", "damaged")], factory: factory)
        clusterHealth = clusters.map {
            Gauge(label: "reward_sdk_cluster_health", dimensions: [("cluster", $0.rawValue)], factory: factory)
        }
        tokensRecorded = Counter(label: "reward_sdk_tokens_recorded_total", factory: factory)
        tokensDroppedQueueFull = Counter(label: "reward_sdk_tokens_dropped_total", dimensions: [("reason", "queue_full")],
                                         factory: factory)
        tokensDroppedWriteFailed = Counter(label: "reward_sdk_tokens_dropped_total", dimensions: [("reason", "write_failed")],
                                           factory: factory)
        tokenInsertStatements = Counter(label: "reward_sdk_token_insert_statements_total", factory: factory)
    }

    func counters(for rewardType: String) -> TypeCounters {
        byType[rewardType] ?? unknownType
    }

    func rejected(_ rewardType: String, _ code: RewardError.Code) {
        counters(for: rewardType).rejected[code.rawValue]?.increment()
    }

    func replayed(cluster: Int, count: Int) {
        replayed[cluster].increment(by: count)
    }

    /// A grant also sent to `cluster` because the first cluster was slow or failed.
    func hedged(cluster: Int) {
        hedges[cluster].increment()
    }

    func quarantine(_ counts: Spool.QuarantineCounts) {
        quarantinedRefused.record(counts.refusedRecords)
        quarantinedDamaged.record(counts.damagedSegments)
    }

    func health(cluster: Int, level: ClusterHealth.Level) {
        clusterHealth[cluster].record(level.rawValue)
    }
}
