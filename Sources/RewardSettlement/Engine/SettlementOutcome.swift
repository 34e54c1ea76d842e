/// What happened to one ``SettlementRequest``.
public enum SettlementOutcome: Sendable, Hashable {
    /// Credited by this call; the reference is the ledger's id for the credit.
    case credited(ledgerReference: String)
    /// A duplicate, absorbed: the order id was credited before (by another call, another path, or
    /// an earlier attempt that crashed before it could answer).
    case alreadyCredited
    /// The order id was claimed with another user, reward type, amount or activity: refused,
    /// recorded in `order_anomalies`, never paid.
    case conflict(SettlementConflict)
    /// Over its budget: the claim stays, `budgets.held` counts it, nothing is credited. It settles
    /// when a person raises the cap and the event is settled again.
    case heldForBudget(String)
    /// A transient failure (ledger 5xx, timeout, 429, deadlock, lost connection): settle again later.
    case retriable(String)
    /// Cannot succeed without a person (the ledger refused for good, unknown reward type, invalid
    /// field): dead-letter it now.
    case permanent(code: String, message: String)

    /// A short name for metrics and logs: `credited`, `already_credited`, `conflict`, `held`,
    /// `retriable`, `permanent`.
    public var label: String {
        switch self {
        case .credited: "credited"
        case .alreadyCredited: "already_credited"
        case .conflict: "conflict"
        case .heldForBudget: "held"
        case .retriable: "retriable"
        case .permanent: "permanent"
        }
    }

    /// Whether the order id is credited now (by this call or before): the consumer may commit.
    public var isSettled: Bool {
        switch self {
        case .credited, .alreadyCredited: true
        default: false
        }
    }
}

/// The fields that make a grant the same grant: one order id may carry only one of these.
public struct ClaimIdentity: Sendable, Hashable, CustomStringConvertible {
    public var userID: String
    public var activityID: String
    public var rewardType: String
    /// Minor units (or an item count for goods).
    public var amount: Int64

    /// Creates an identity.
    public init(userID: String, activityID: String, rewardType: String, amount: Int64) {
        self.userID = userID
        self.activityID = activityID
        self.rewardType = rewardType
        self.amount = amount
    }

    public var description: String { "user \(userID), activity \(activityID), \(amount) \(rewardType)" }
}

/// An order id reused with another identity: what was claimed first and what came now.
public struct SettlementConflict: Sendable, Hashable {
    /// The reused order id.
    public var orderID: String
    /// The identity recorded on the claim (the one that may be paid).
    public var claimed: ClaimIdentity
    /// The identity of the refused request.
    public var incoming: ClaimIdentity

    /// Creates a conflict.
    public init(orderID: String, claimed: ClaimIdentity, incoming: ClaimIdentity) {
        self.orderID = orderID
        self.claimed = claimed
        self.incoming = incoming
    }

    /// The fields that differ, by name only (`user_id`, `reward_type`, `amount`, `activity_id`):
    /// safe to log.
    public var differingFields: [String] {
        var fields: [String] = []
        if claimed.userID != incoming.userID { fields.append("user_id") }
        if claimed.rewardType != incoming.rewardType { fields.append("reward_type") }
        if claimed.amount != incoming.amount { fields.append("amount") }
        if claimed.activityID != incoming.activityID { fields.append("activity_id") }
        return fields
    }
}
