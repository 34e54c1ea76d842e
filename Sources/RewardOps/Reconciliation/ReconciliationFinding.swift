public import Foundation

/// One difference between grants (tokens), order claims and ledger credits.
public struct ReconciliationFinding: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// Granted, not credited after the grace period (or credited once and the credit is gone).
        case underIssued = "under_issued"
        /// Credited without any grant or claim.
        case overIssued = "over_issued"
        /// Credited more than once.
        case duplicateCredit = "duplicate_credit"
        case amountMismatch = "amount_mismatch"
        case userMismatch = "user_mismatch"
        /// An activity's credited total for a reward type is above its budget cap.
        case overBudget = "over_budget"
        /// Claimed for settlement, never credited, after the grace period (and not held for budget).
        case claimWithoutCredit = "claim_without_credit"
        /// A wallet account's balance (or credited/debited totals) differs from the sum of its
        /// entries, or entries exist for an account that does not.
        case balanceMismatch = "balance_mismatch"
        /// The legs of one wallet transfer do not sum to zero.
        case unbalancedTransfer = "unbalanced_transfer"

        /// Whether `--repair` re-issues it through the engine; the others need a person.
        public var isRepairable: Bool { self == .underIssued || self == .claimWithoutCredit }
    }

    public var kind: Kind
    public var bucketStart: Date
    public var orderID: String?
    public var activityID: String?
    public var rewardType: String?
    public var userID: String?
    public var expectedAmount: Int64?
    public var actualAmount: Int64?
    public var detail: String
}

/// Counts and sums per hour, activity and reward type, from each of the three sources.
public struct ReconciliationBucket: Sendable, Codable, Hashable {
    public var bucketStart: Date
    public var activityID: String
    public var rewardType: String
    public var grants = 0
    public var grantedTotal: Int64 = 0
    public var claims = 0
    public var claimedTotal: Int64 = 0
    public var credits = 0
    public var creditedTotal: Int64 = 0
    /// Granted within the grace period and not credited yet: not a difference (yet).
    public var pending = 0
}

/// A whole run: what was compared, what differs, and what a repair did.
public struct ReconciliationReport: Sendable, Codable {
    public var runID: Int64?
    public var from: Date
    public var to: Date
    public var buckets: [ReconciliationBucket]
    public var findings: [ReconciliationFinding]
    public var repair: SettlementTally?

    public var isClean: Bool { findings.isEmpty }
}
