/// Where a reward was won: the campaign (activity) and the part of it (scene).
public struct Activity: Sendable, Hashable, Codable {
    public var id: String
    public var sceneID: String

    public init(id: String, sceneID: String) {
        self.id = id
        self.sceneID = sceneID
    }
}

/// Who won it. The user id is the account that will be credited; device and app ids travel
/// for risk checks and support, never as identity.
public struct User: Sendable, Hashable, Codable {
    public var id: String
    public var deviceID: String
    public var appID: String

    public init(id: String, deviceID: String, appID: String) {
        self.id = id
        self.deviceID = deviceID
        self.appID = appID
    }
}

/// What was won: a reward type from the catalog, an amount in the type's minor units (cents for
/// cash, units for coins, a count for goods), and free key/values the downstream may use.
public struct BonusContent: Sendable, Hashable, Codable {
    public var rewardType: String
    public var amount: Int64
    public var extensions: [String: String]

    public init(rewardType: String, amount: Int64, extensions: [String: String] = [:]) {
        self.rewardType = rewardType
        self.amount = amount
        self.extensions = extensions
    }
}

/// The caller's global idempotency key: one order id grants one reward, once, in every ledger.
/// A retried grant must carry the same order id; the scenario facades build it deterministically.
public struct OrderID: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public var description: String { rawValue }
}
