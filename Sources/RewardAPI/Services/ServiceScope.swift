import RewardCore

/// What one activity service may grant: which activities (exact ids, or prefixes ending in `*`),
/// which reward types, and the largest amount per grant of each type. A grant outside it is
/// refused with 403 `grant_out_of_scope`, so a leaked service secret cannot pay any type, any
/// amount, into any campaign's budget.
public struct ServiceScope: Sendable, Hashable, Codable {
    /// `spring-gala-2027` matches that id; `spring-gala-*` every id that starts with `spring-gala-`.
    public var activities: [String]
    /// Reward type id → the largest amount one grant may carry, in the type's minor units.
    public var rewardTypes: [String: Int64]

    public init(activities: [String], rewardTypes: [String: Int64]) {
        self.activities = activities
        self.rewardTypes = rewardTypes
    }

    /// Why this grant is outside the scope, or `nil` when it is inside.
    func refusal(activityID: String, rewardType: String, amount: Int64) -> String? {
        guard activities.contains(where: { Self.matches($0, activityID) }) else {
            return "this service may not grant in activity \(activityID)"
        }
        guard let maximum = rewardTypes[rewardType] else {
            return "this service may not grant reward type \(rewardType)"
        }
        guard amount <= maximum else {
            return "this service may grant at most \(maximum) of \(rewardType) per grant, not \(amount)"
        }
        return nil
    }

    static func matches(_ pattern: String, _ activityID: String) -> Bool {
        if pattern.hasSuffix("*") { return activityID.hasPrefix(pattern.dropLast()) }
        return pattern == activityID
    }

    /// - Throws: ``ConfigurationError`` `api.invalid_scope` naming the service and what is wrong.
    func validate(service: String) throws(ConfigurationError) {
        guard !activities.isEmpty, !rewardTypes.isEmpty else {
            throw ConfigurationError(code: "api.invalid_scope", message: "service \(service) needs at least one activity and one reward type")
        }
        for pattern in activities {
            let id = pattern.hasSuffix("*") ? String(pattern.dropLast()) : pattern
            guard !id.isEmpty, GrantValidation.isIdentifier(id) else {
                throw ConfigurationError(code: "api.invalid_scope",
                                         message: "service \(service): activity '\(pattern)' is not an id or an id prefix ending in *")
            }
        }
        for (type, maximum) in rewardTypes where maximum <= 0 {
            throw ConfigurationError(code: "api.invalid_scope", message: "service \(service): the largest amount of \(type) must be positive")
        }
    }
}

/// An activity service `reward-api` accepts grants from: its signing secret and its scope.
public struct CallingService: Sendable {
    /// HMAC-SHA256 key, at least 32 bytes.
    public var secret: [UInt8]
    public var scope: ServiceScope

    public init(secret: [UInt8], scope: ServiceScope) {
        self.secret = secret
        self.scope = scope
    }
}
