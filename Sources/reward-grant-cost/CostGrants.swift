import Foundation
import RewardCore
import RewardSDK
import Synchronization

/// The grants of `reward-bench sdk` (cash and coupons alternating, many users), a fixed number of them.
enum CostGrants {
    static let activity = Activity(id: "spring-gala-2027", sceneID: "rain-round-1")

    static func user(_ n: Int) -> User {
        User(id: "u\(n % 1_000_000)", deviceID: "dev-\(n % 1_000_000)", appID: "main-app")
    }

    static func bonus(_ n: Int) -> BonusContent {
        n % 2 == 0
            ? BonusContent(rewardType: "cash_red_envelope", amount: Int64(1 + n % 8_000), extensions: ["round": "1"])
            : BonusContent(rewardType: "coupon_10off", amount: 1, extensions: ["round": "1"])
    }

    /// The size of one encoded event, for the raw records.
    static func payloadSize(keyRing: TokenKeyRing) -> Int {
        let orderID = OrderID("cost:123456")
        let token = keyRing.mint(orderID: orderID, userID: "u123456", rewardType: "cash_red_envelope", amount: 888,
                                 activityID: activity.id, issuedAt: Date())
        return BonusEvent(orderID: orderID, activity: activity, user: user(123_456), bonus: bonus(0), lane: .cash,
                          grantedAtMilliseconds: 0, token: token.encoded).encoded().count
    }

    /// `count` grants from `callers` concurrent tasks; returns how many threw.
    static func grant(_ count: Int, callers: Int, client: RewardClient) async -> Int {
        let handedOut = Counter()
        return await withTaskGroup(of: Int.self) { group in
            for _ in 0..<callers {
                group.addTask {
                    var failures = 0
                    while true {
                        let n = handedOut.next()
                        guard n < count else { return failures }
                        do {
                            _ = try await client.sendBonus(activity: activity, user: user(n), bonus: bonus(n), orderID: OrderID("cost:\(n)"))
                        } catch {
                            failures += 1
                        }
                    }
                }
            }
            return await group.reduce(0, +)
        }
    }

    final class Counter: Sendable {
        private let value = Atomic<Int>(0)

        func next() -> Int { value.wrappingAdd(1, ordering: .relaxed).oldValue }
    }
}
