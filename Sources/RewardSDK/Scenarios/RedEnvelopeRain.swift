public import RewardCore

/// Red envelope rain: users tap falling envelopes during timed rounds; each caught envelope
/// (drop) is a cash grant.
///
/// Fixes the activity, scene and reward type; the order id is
/// `rain:<activity>:<round>:<user>:<drop>`, so a retried catch of the same drop is the same order.
public struct RedEnvelopeRain: Sendable {
    public let client: RewardClient
    public let activity: Activity
    public let rewardType: String

    /// - Parameters:
    ///   - client: The client grants go through.
    ///   - activityID: The campaign.
    ///   - sceneID: The scene within it. Default `red-envelope-rain`.
    ///   - rewardType: The catalog type every drop grants. Default `cash_red_envelope`.
    public init(client: RewardClient, activityID: String, sceneID: String = "red-envelope-rain",
                rewardType: String = "cash_red_envelope")
    {
        self.client = client
        self.activity = Activity(id: activityID, sceneID: sceneID)
        self.rewardType = rewardType
    }

    /// `rain:<activity>:<round>:<user>:<drop>`.
    /// - Throws: `RewardError` `RewardError/Code/invalidOrderID` (see ``ScenarioOrderID/make(_:_:)``).
    public static func orderID(activityID: String, round: Int, userID: String, dropIndex: Int) throws(RewardError) -> OrderID {
        try ScenarioOrderID.make("rain", [
            .identifier(activityID, name: "activity id"), .number(round, name: "round"),
            .identifier(userID, name: "user id"), .number(dropIndex, name: "drop index"),
        ])
    }

    /// Grants one caught envelope.
    /// - Parameters:
    ///   - round: The rain round (≥ 0).
    ///   - user: Who caught it.
    ///   - dropIndex: Which envelope of the round (≥ 0).
    ///   - amount: Its value in minor units.
    ///   - extensions: Free key/values for the downstream.
    /// - Returns: The token of the grant.
    /// - Throws: `RewardError`, as ``RewardClient/sendBonus(activity:user:bonus:orderID:)``.
    public func grant(round: Int, user: User, dropIndex: Int, amount: Int64, extensions: [String: String] = [:])
        async throws(RewardError) -> RewardToken
    {
        let orderID = try Self.orderID(activityID: activity.id, round: round, userID: user.id, dropIndex: dropIndex)
        return try await client.sendBonus(activity: activity, user: user,
                                          bonus: BonusContent(rewardType: rewardType, amount: amount, extensions: extensions),
                                          orderID: orderID)
    }
}
