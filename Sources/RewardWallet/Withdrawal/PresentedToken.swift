/// A token the client shows with a withdrawal, with the grant it claims to prove.
///
/// The token's MAC binds order id, user id, reward type and amount; activity and scene are not
/// bound. When the tokens store has the order id, its activity and scene are used instead of the
/// client's. Otherwise a lying client can only misattribute the activity of its own genuine
/// reward (the claim records the activity it names); it can never change who is paid, what, or
/// how much, so it cannot create money.
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
