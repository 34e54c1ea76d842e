import Foundation
import RewardCore

enum Fixtures {
    static let catalog = try! RewardCatalog(types: [
        RewardType(id: "cash_red_envelope", lane: .cash, ledger: "wallet", unit: "CNY", minimumAmount: 1, maximumAmount: 88_800,
                   displayName: "Red envelope"),
        RewardType(id: "coupon_10off", lane: .goods, ledger: "goods", unit: "item", minimumAmount: 1, maximumAmount: 1,
                   displayName: "10% off coupon"),
        RewardType(id: "frame_gold", lane: .goods, ledger: "goods", unit: "item", minimumAmount: 1, maximumAmount: 1,
                   enabled: false, displayName: "Gold avatar frame"),
    ])

    static let activity = Activity(id: "spring-gala-2027", sceneID: "rain-round-1")
    static let user = User(id: "u12345", deviceID: "dev-9f8e7d", appID: "main-app")
    static let bonus = BonusContent(rewardType: "cash_red_envelope", amount: 888, extensions: ["round": "1"])
    static let orderID: OrderID = "rain:spring-gala-2027:1:u12345:7"

    static func keyRing(current: UInt8 = 1, keys: [UInt8] = [1]) -> TokenKeyRing {
        try! TokenKeyRing(
            keys: Dictionary(uniqueKeysWithValues: keys.map { ($0, [UInt8](repeating: $0 &* 31 &+ 7, count: 32)) }),
            currentKeyID: current, lifetime: .seconds(3600))
    }
}
