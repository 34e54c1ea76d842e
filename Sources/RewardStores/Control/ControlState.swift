public import Foundation

/// One control's current override: its value and the change that set it.
public struct ControlSetting: Sendable, Hashable, Codable {
    public var key: String
    public var value: Int64
    public var version: Int64
    public var changedAt: Date
    public var changedBy: String
    public var reason: String
}

/// One recorded change: who moved which control from what to what, when and why.
public struct ControlChange: Sendable, Hashable, Codable {
    public var version: Int64
    public var key: String
    /// `nil`: the control was at its default.
    public var oldValue: Int64?
    /// `nil`: reset to its default.
    public var newValue: Int64?
    public var changedAt: Date
    public var changedBy: String
    public var reason: String
}

/// Every control at one version: what the daemons apply. A key without an override has its
/// default (``ControlKey/defaultValue``).
public struct ControlState: Sendable, Hashable {
    /// The last change included; 0 before any.
    public var version: Int64
    public var settings: [ControlKey: ControlSetting]
    /// Rows the reader could not parse (written by hand?); they are ignored, and said so.
    public var unreadable: [String]

    public init(version: Int64 = 0, settings: [ControlKey: ControlSetting] = [:], unreadable: [String] = []) {
        self.version = version
        self.settings = settings
        self.unreadable = unreadable
    }

    /// The value in force: the override, else the default (`nil` for a rate left as configured).
    public func value(_ key: ControlKey) -> Int64? { settings[key]?.value ?? key.defaultValue }

    /// Is a switch on? (Rates are never "off".)
    public func isOn(_ key: ControlKey) -> Bool { value(key).map { $0 != 0 } ?? true }

    /// The overridden fleet rates, by bucket name.
    public var fleetRates: [String: Int64] {
        settings.reduce(into: [:]) { rates, entry in
            if case .fleetRate(let bucket) = entry.key { rates[bucket] = entry.value.value }
        }
    }

    /// The switches that are off (reward types, activities): what a grant must check.
    public var grantRefusals: GrantRefusals {
        var refusals = GrantRefusals()
        for (key, setting) in settings where setting.value == 0 {
            switch key {
            case .rewardType(let id): refusals.rewardTypes.insert(id)
            case .activity(let id): refusals.activities.insert(id)
            default: break
            }
        }
        return refusals
    }
}

/// The reward types and activities switched off: checked on every grant, so kept as two sets
/// (empty on a normal night, which makes the check two empty-set tests).
public struct GrantRefusals: Sendable, Hashable {
    public var rewardTypes: Set<String> = []
    public var activities: Set<String> = []

    public init() {}
}
