public import RewardCore

/// Card collection: users collect a set of cards and then draw prizes; each prize draw is a grant.
///
/// Fixes the activity, scene and reward type; the order id is `cards:<activity>:<user>:<draw>`,
/// so a retried draw is the same order.
public struct CardCollection: Sendable {
    public let client: RewardClient
    public let activity: Activity
    public let rewardType: String

    /// - Parameters:
    ///   - client: The client grants go through.
    ///   - activityID: The campaign.
    ///   - sceneID: The scene within it. Default `card-collection`.
    ///   - rewardType: The catalog type every draw grants. Default `coin_lucky`.
    public init(client: RewardClient, activityID: String, sceneID: String = "card-collection", rewardType: String = "coin_lucky") {
        self.client = client
        self.activity = Activity(id: activityID, sceneID: sceneID)
        self.rewardType = rewardType
    }

    /// `cards:<activity>:<user>:<draw>`.
    /// - Throws: `RewardError` `RewardError/Code/invalidOrderID` (see ``ScenarioOrderID/make(_:_:)``).
    public static func orderID(activityID: String, userID: String, draw: Int) throws(RewardError) -> OrderID {
        try ScenarioOrderID.make("cards", [
            .identifier(activityID, name: "activity id"), .identifier(userID, name: "user id"), .number(draw, name: "draw"),
        ])
    }

    /// Grants the prize of one draw.
    /// - Parameters:
    ///   - user: Who drew.
    ///   - draw: The user's draw number in this activity (≥ 0).
    ///   - amount: The prize in the type's minor units.
    ///   - extensions: Free key/values for the downstream.
    /// - Returns: The token of the grant.
    /// - Throws: `RewardError`, as ``RewardClient/sendBonus(activity:user:bonus:orderID:)``.
    public func grant(user: User, draw: Int, amount: Int64, extensions: [String: String] = [:]) async throws(RewardError)
        -> RewardToken
    {
        let orderID = try Self.orderID(activityID: activity.id, userID: user.id, draw: draw)
        return try await client.sendBonus(activity: activity, user: user,
                                          bonus: BonusContent(rewardType: rewardType, amount: amount, extensions: extensions),
                                          orderID: orderID)
    }
}
