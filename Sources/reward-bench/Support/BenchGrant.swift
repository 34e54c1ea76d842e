import Foundation
import RewardCore

/// A grant as the SDK builds it, signed by the bench's own key ring, for benches that put events
/// straight on a lane topic (a backlog) instead of granting through the SDK.
enum BenchGrant {
    static func event(_ ring: TokenKeyRing, order: String, user: String, type: String, amount: Int64, lane: Lane,
                      activity: Activity, appID: String = "bench", now: Date = Date()) -> BonusEvent {
        let token = ring.mint(orderID: OrderID(order), userID: user, rewardType: type, amount: amount, activityID: activity.id,
                              issuedAt: now)
        return BonusEvent(
            orderID: OrderID(order), activity: activity, user: User(id: user, deviceID: "device", appID: appID),
            bonus: BonusContent(rewardType: type, amount: amount), lane: lane,
            grantedAtMilliseconds: Int64(now.timeIntervalSince1970 * 1000), token: token.encoded)
    }
}
