public import RewardCore

/// Fireworks: during a show, prizes burst from the sky; each prize a user wins is a grant.
///
/// Fixes the activity, scene and reward type; the order id is
/// `fireworks:<activity>:<show>:<user>:<prize>`, so a retried grant of the same prize is the same order.
public struct Fireworks: Sendable {
    public let client: RewardClient
    public let activity: Activity
    public let rewardType: String

    /// - Parameters:
    ///   - client: The client grants go through.
    ///   - activityID: The campaign.
    ///   - sceneID: The scene within it. Default `fireworks`.
    ///   - rewardType: The catalog type every prize grants. Default `frame_gold`.
    public init(client: RewardClient, activityID: String, sceneID: String = "fireworks", rewardType: String = "frame_gold") {
        self.client = client
        self.activity = Activity(id: activityID, sceneID: sceneID)
        self.rewardType = rewardType
    }

    /// `fireworks:<activity>:<show>:<user>:<prize>`.
    /// - Throws: `RewardError` `RewardError/Code/invalidOrderID` (see ``ScenarioOrderID/make(_:_:)``).
    public static func orderID(activityID: String, showID: String, userID: String, prize: Int) throws(RewardError) -> OrderID {
        try ScenarioOrderID.make("fireworks", [
            .identifier(activityID, name: "activity id"), .identifier(showID, name: "show id"),
            .identifier(userID, name: "user id"), .number(prize, name: "prize"),
        ])
    }

    /// Grants one prize of a show.
    /// - Parameters:
    ///   - showID: The show (letters, digits, `-`, `_`, `.`).
    ///   - user: Who won.
    ///   - prize: The prize's index in the show (≥ 0).
    ///   - amount: Its amount in the type's units (1 for an item).
    ///   - extensions: Free key/values for the downstream.
    /// - Returns: The token of the grant.
    /// - Throws: `RewardError`, as ``RewardClient/sendBonus(activity:user:bonus:orderID:)``.
    public func grant(showID: String, user: User, prize: Int, amount: Int64 = 1, extensions: [String: String] = [:])
        async throws(RewardError) -> RewardToken
    {
        let orderID = try Self.orderID(activityID: activity.id, showID: showID, userID: user.id, prize: prize)
        return try await client.sendBonus(activity: activity, user: user,
                                          bonus: BonusContent(rewardType: rewardType, amount: amount, extensions: extensions),
                                          orderID: orderID)
    }
}
