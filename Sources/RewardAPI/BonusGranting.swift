public import RewardCore
public import RewardSDK

/// What `POST /v1/bonus` grants through: the SDK's generic call, so callers can move between
/// linking the SDK and calling the API without changes.
public protocol BonusGranting: Sendable {
    func sendBonus(activity: Activity, user: User, bonus: BonusContent, orderID: OrderID, grantedBy: String?)
        async throws(RewardError) -> RewardToken
}

extension RewardClient: BonusGranting {}
