import RewardCore
import Testing

@Suite("Grant validation: every invalid field has its own code")
struct GrantValidationTests {
    static func codeOf(
        activity: Activity = Fixtures.activity, user: User = Fixtures.user, bonus: BonusContent = Fixtures.bonus,
        orderID: OrderID = Fixtures.orderID
    ) -> RewardError.Code? {
        do {
            try GrantValidation.validate(activity: activity, user: user, bonus: bonus, orderID: orderID)
            _ = try Fixtures.catalog.validate(bonus)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func aValidGrantPasses() {
        #expect(Self.codeOf() == nil)
    }

    @Test(arguments: ["", String(repeating: "a", count: 65), "has space", "红包", "a:b"])
    func activityID(_ value: String) {
        #expect(Self.codeOf(activity: Activity(id: value, sceneID: "s")) == .invalidActivityID)
    }

    @Test(arguments: ["", "x/y", String(repeating: "s", count: 65)])
    func sceneID(_ value: String) {
        #expect(Self.codeOf(activity: Activity(id: "a", sceneID: value)) == .invalidSceneID)
    }

    @Test(arguments: ["", "user:1", "user 1", String(repeating: "u", count: 65), "ü"])
    func userID(_ value: String) {
        #expect(Self.codeOf(user: User(id: value, deviceID: "d", appID: "app")) == .invalidUserID)
    }

    @Test(arguments: ["", "with space", String(repeating: "d", count: 129), "tab\t"])
    func deviceID(_ value: String) {
        #expect(Self.codeOf(user: User(id: "u", deviceID: value, appID: "app")) == .invalidDeviceID)
    }

    @Test(arguments: ["", "app?", String(repeating: "p", count: 65)])
    func appID(_ value: String) {
        #expect(Self.codeOf(user: User(id: "u", deviceID: "d", appID: value)) == .invalidAppID)
    }

    @Test(arguments: ["", String(repeating: "o", count: 129), "order id", "order/1"])
    func orderID(_ value: String) {
        #expect(Self.codeOf(orderID: OrderID(value)) == .invalidOrderID)
    }

    @Test func rewardTypeShapeKnownAndEnabled() {
        #expect(Self.codeOf(bonus: BonusContent(rewardType: "", amount: 1)) == .invalidRewardType)
        #expect(Self.codeOf(bonus: BonusContent(rewardType: "no such type", amount: 1)) == .invalidRewardType)
        #expect(Self.codeOf(bonus: BonusContent(rewardType: "nope", amount: 1)) == .unknownRewardType)
        #expect(Self.codeOf(bonus: BonusContent(rewardType: "frame_gold", amount: 1)) == .rewardTypeDisabled)
    }

    @Test(arguments: [Int64.min, -1, 0, 88_801, Int64.max])
    func amountOutOfRange(_ amount: Int64) {
        #expect(Self.codeOf(bonus: BonusContent(rewardType: "cash_red_envelope", amount: amount)) == .amountOutOfRange)
    }

    @Test func extensions() {
        let tooMany = Dictionary(uniqueKeysWithValues: (0..<17).map { ("k\($0)", "v") })
        #expect(Self.codeOf(bonus: BonusContent(rewardType: "cash_red_envelope", amount: 1, extensions: tooMany)) == .extensionTooLarge)
        let long = ["k": String(repeating: "v", count: 257)]
        #expect(Self.codeOf(bonus: BonusContent(rewardType: "cash_red_envelope", amount: 1, extensions: long)) == .extensionTooLarge)
        let badKey = ["bad key": "v"]
        #expect(Self.codeOf(bonus: BonusContent(rewardType: "cash_red_envelope", amount: 1, extensions: badKey)) == .invalidExtension)
        let control = ["k": "line\nbreak"]
        #expect(Self.codeOf(bonus: BonusContent(rewardType: "cash_red_envelope", amount: 1, extensions: control)) == .invalidExtension)
        let unicode = ["note": "新年快乐 🧧"]
        #expect(Self.codeOf(bonus: BonusContent(rewardType: "cash_red_envelope", amount: 1, extensions: unicode)) == nil)
    }

    @Test func catalogRefusesBadConfiguration() {
        let type = RewardType(id: "t", lane: .cash, ledger: "wallet", unit: "CNY", minimumAmount: 5, maximumAmount: 1, displayName: "T")
        #expect(throws: ConfigurationError.self) { try RewardCatalog(types: [type]) }
        var good = type
        good.maximumAmount = 10
        #expect(throws: ConfigurationError.self) { try RewardCatalog(types: [good, good]) }
    }

    @Test func moneyPrintsMinorUnitsExactly() {
        #expect(Money(minorUnits: 888, currency: .cny).description == "8.88 CNY")
        #expect(Money(minorUnits: -5, currency: .cny).description == "-0.05 CNY")
        #expect(Money(minorUnits: 1_234, currency: .coin).description == "1234 COIN")
        #expect(Money(minorUnits: .max, currency: .cny).adding(Money(minorUnits: 1, currency: .cny)) == nil)
    }
}
