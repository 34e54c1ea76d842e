import RewardCore

/// What an operator can change while the fleet runs. Each key has a text form (its row name in
/// `controls`, and what `reward-admin control set` takes) and a default that holds while no row
/// overrides it.
public enum ControlKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// `type:<id>`: new grants of the reward type are accepted (on) or refused (off). Grants
    /// already accepted are still credited: a token given out is a promise.
    case rewardType(String)
    /// `activity:<id>`: new grants of the activity are accepted (on) or refused (off).
    case activity(String)
    /// `withdrawals`: reward-api takes withdrawals (on) or refuses them (off).
    case withdrawals
    /// `wallet-reduced`: the wallet view answers from the ledger only (on), skipping the token
    /// and claim reads that make pending rewards visible: relief for the database.
    case walletReduced
    /// `rate:<bucket>`: the fleet-wide permits per second of a rate bucket (a reward type's id or
    /// `shared:<downstream>`), replacing the configured rate.
    case fleetRate(String)

    /// The largest rate an operator may set; far above any downstream we call.
    public static let maximumRate: Int64 = 10_000_000

    public var description: String {
        switch self {
        case .rewardType(let id): "type:\(id)"
        case .activity(let id): "activity:\(id)"
        case .withdrawals: "withdrawals"
        case .walletReduced: "wallet-reduced"
        case .fleetRate(let bucket): "rate:\(bucket)"
        }
    }

    public static func < (lhs: ControlKey, rhs: ControlKey) -> Bool { lhs.description < rhs.description }

    /// Is this a switch (values 0 and 1) rather than a rate?
    public var isSwitch: Bool {
        if case .fleetRate = self { return false }
        return true
    }

    /// The value while no row overrides it; `nil` for a rate (the configured one applies).
    public var defaultValue: Int64? {
        switch self {
        case .rewardType, .activity, .withdrawals: 1
        case .walletReduced: 0
        case .fleetRate: nil
        }
    }

    /// Parses the text form.
    /// - Throws: ``ControlError`` with code `control.unknown_key` or `control.invalid_key`.
    public init(parsing text: String) throws(ControlError) {
        func identifier(_ rest: Substring, _ what: String, extra: String = "") throws(ControlError) -> String {
            let id = String(rest)
            let plain = id.hasPrefix(extra) ? String(id.dropFirst(extra.count)) : id
            guard GrantValidation.isIdentifier(plain) else {
                throw ControlError(.invalidKey, "'\(text)': the \(what) must be 1-64 letters, digits, '-', '_' or '.'")
            }
            return id
        }
        switch text {
        case "withdrawals": self = .withdrawals
        case "wallet-reduced": self = .walletReduced
        default:
            guard let colon = text.firstIndex(of: ":") else {
                throw ControlError(.unknownKey, "'\(text)' is not a control: use type:<id>, activity:<id>, withdrawals, wallet-reduced or rate:<bucket>")
            }
            let rest = text[text.index(after: colon)...]
            switch text[..<colon] {
            case "type": self = .rewardType(try identifier(rest, "reward type"))
            case "activity": self = .activity(try identifier(rest, "activity id"))
            case "rate": self = .fleetRate(try identifier(rest, "rate bucket", extra: "shared:"))
            default:
                throw ControlError(.unknownKey, "'\(text)' is not a control: use type:<id>, activity:<id>, withdrawals, wallet-reduced or rate:<bucket>")
            }
        }
    }

    /// Checks a value for this key: 0 or 1 for a switch, 1...``maximumRate`` for a rate (a rate
    /// of 0 would hold every record of the type until retries ran out; switch the type off instead).
    /// - Throws: ``ControlError`` with code `control.invalid_value`.
    public func validate(_ value: Int64) throws(ControlError) {
        if isSwitch {
            guard value == 0 || value == 1 else { throw ControlError(.invalidValue, "\(self) is a switch: on or off") }
        } else {
            guard value >= 1, value <= Self.maximumRate else {
                throw ControlError(.invalidValue, "\(self) is permits per second: 1...\(Self.maximumRate), got \(value)")
            }
        }
    }

    /// Parses a value's text form: `on`/`off` for a switch, a whole number for a rate.
    /// - Throws: ``ControlError`` with code `control.invalid_value`.
    public func parseValue(_ text: String) throws(ControlError) -> Int64 {
        let value: Int64
        if isSwitch {
            switch text.lowercased() {
            case "on", "1", "true": value = 1
            case "off", "0", "false": value = 0
            default: throw ControlError(.invalidValue, "\(self) is a switch: give on or off, not '\(text)'")
            }
        } else {
            guard text.utf8.count <= 12, let parsed = Int64(text) else {
                throw ControlError(.invalidValue, "\(self) is permits per second: give a whole number, not '\(text)'")
            }
            value = parsed
        }
        try validate(value)
        return value
    }

    /// A value's text form.
    public func format(_ value: Int64?) -> String {
        guard let value else { return isSwitch ? format(defaultValue) : "configured" }
        return isSwitch ? (value == 0 ? "off" : "on") : "\(value)/s"
    }
}

/// A refused control operation: a stable code and a message an operator can act on.
public struct ControlError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case unknownKey = "control.unknown_key"
        case invalidKey = "control.invalid_key"
        case invalidValue = "control.invalid_value"
        case invalidOperator = "control.invalid_operator"
        case invalidReason = "control.invalid_reason"
        /// Someone else changed the controls since the version the change was based on.
        case conflict = "control.conflict"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
