import Foundation
import RewardCore

/// Grants shaped like a red envelope rain: cash and goods alternating, users spread over many ids.
struct SampleGrants: Sendable {
    let catalogTypes: [String]
    let activity = Activity(id: "spring-gala-2027", sceneID: "rain-round-1")

    func user(_ n: Int) -> User {
        User(id: "u\(n % 1_000_000)", deviceID: "dev-\(n % 1_000_000)", appID: "main-app")
    }

    func bonus(_ n: Int) -> BonusContent {
        n % 2 == 0
            ? BonusContent(rewardType: catalogTypes[0], amount: Int64(1 + n % 8_000), extensions: ["round": "1"])
            : BonusContent(rewardType: catalogTypes[1], amount: 1, extensions: ["round": "1"])
    }

    /// The size of an encoded event, for the raw baseline.
    func payloadSize(keyRing: TokenKeyRing) -> Int {
        let orderID = OrderID("rain:spring-gala-2027:1:u123456:42")
        let token = keyRing.mint(orderID: orderID, userID: "u123456", rewardType: catalogTypes[0], amount: 888, activityID: activity.id,
                                 issuedAt: Date())
        return BonusEvent(orderID: orderID, activity: activity, user: user(123_456), bonus: bonus(0), lane: .cash,
                          grantedAtMilliseconds: 0, token: token.encoded).encoded().count
    }
}
