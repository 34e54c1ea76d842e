public import RewardCore
public import RewardSDK

/// What `POST /v1/bonus` grants through: the SDK's generic call, so callers can move between
/// linking the SDK and calling the API without changes.
public protocol BonusGranting: Sendable {
    func sendBonus(activity: Activity, user: User, bonus: BonusContent, orderID: OrderID, grantedBy: String?)
        async throws(RewardError) -> RewardToken
}

extension RewardClient: BonusGranting {}

extension RewardClient {
    /// reward-api's readiness rule over `health`: ready once this client has started (a cluster is
    /// ready) and the service is healthy; the details name the ready clusters (`none` before start).
    public func readiness(health: @escaping @Sendable () async -> (healthy: Bool, details: [String: String]))
        -> @Sendable () async -> (ready: Bool, details: [String: String]) {
        { [self] in
            let (healthy, details) = await health()
            let clusters = readyClusterNames.map(\.rawValue).joined(separator: ",")
            return (healthy && isReady, details.merging(["clusters": clusters.isEmpty ? "none" : clusters]) { a, _ in a })
        }
    }
}
