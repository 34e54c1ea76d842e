/// A token the client shows with a withdrawal, with the grant it claims to prove.
///
/// A version 2 token's MAC binds order id, user id, reward type, amount and activity, so a client
/// that names another activity (to step around that activity's budget) is refused. A version 1
/// token does not bind the activity: it is accepted only for an order id the tokens store has, and
/// then with the stored activity and scene; otherwise it is refused (`token_activity_unbound`) and
/// the grant is credited from its lane event by the consumers. The scene is never bound and never
/// affects money.
public struct PresentedToken: Sendable, Hashable, Codable {
    public var token: String
    public var orderID: String
    public var rewardType: String
    /// Minor units (or an item count).
    public var amount: Int64
    public var activityID: String
    public var sceneID: String

    public init(token: String, orderID: String, rewardType: String, amount: Int64, activityID: String, sceneID: String) {
        self.token = token
        self.orderID = orderID
        self.rewardType = rewardType
        self.amount = amount
        self.activityID = activityID
        self.sceneID = sceneID
    }
}
