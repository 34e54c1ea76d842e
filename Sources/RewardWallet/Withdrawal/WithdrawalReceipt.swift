/// The answer to a withdrawal: what happened to the money, which pending rewards were settled
/// first, and which tokens were refused and why. A retry with the same request id gets the same
/// answer (with ``replayed`` set).
public struct WithdrawalReceipt: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable {
        /// Debited and handed to the payout ledger.
        case paidOut = "paid_out"
        /// Debited; the payout ledger has not confirmed yet. A retry with the same request id
        /// completes it (the money is never debited again).
        case payoutPending = "payout_pending"
        /// Nothing moved (see ``refusal``).
        case refused
    }

    public var requestID: String
    public var userID: String
    /// Minor units.
    public var amount: Int64
    public var currency: String
    public var status: Status
    /// Why nothing moved (`insufficient_funds`), for ``Status/refused``.
    public var refusal: Refusal?
    /// Rewards settled by this withdrawal before the debit (or found credited by a consumer).
    public var settled: [SettledReward]
    /// Tokens that were not settled, each with its reason; they moved no money.
    public var rejected: [TokenRejection]
    /// Genuine rewards that could not settle now (held for budget, store busy): consumers settle them later.
    public var unsettled: [UnsettledReward]
    /// The balance right after the debit (or at the refusal), minor units.
    public var balanceAfter: Int64?
    /// The payout ledger's reference, once paid out.
    public var payoutReference: String?
    /// This answer was given before and is repeated for a retry.
    public var replayed: Bool

    public struct Refusal: Sendable, Hashable, Codable {
        public var code: String
        public var message: String
    }
}

/// A reward credited before the debit.
public struct SettledReward: Sendable, Hashable, Codable {
    public var orderID: String
    public var rewardType: String
    public var amount: Int64
    /// `credited` (by this withdrawal) or `already_credited` (a consumer, or an earlier call, was first).
    public var outcome: String
}

/// A reward that could not settle now; it is not lost.
public struct UnsettledReward: Sendable, Hashable, Codable {
    public var orderID: String
    /// `held_for_budget` or `retry_later`.
    public var reason: String
}

/// A token that was refused, and why.
public struct TokenRejection: Error, Sendable, Hashable, Codable {
    /// Where the token came from: `presented` (the request) or `stored` (the tokens store).
    public var source: String
    /// Its position in the request's token list (presented tokens only).
    public var index: Int?
    /// The order id it was shown with.
    public var orderID: String
    /// A stable reason: a `TokenError` code (`token_signature_mismatch`, `token_expired`, …) or
    /// `invalid_token_fields`, `unknown_reward_type`, `reward_type_disabled`, `amount_out_of_range`,
    /// `currency_mismatch`, `order_claimed_by_another_user`, `order_id_conflict`, `settlement_refused`.
    public var reason: String
    public var message: String
}
