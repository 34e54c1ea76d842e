public import Foundation

/// What the wallet page shows for one user: balances, rewards still waiting to settle, and one
/// page of the history (tokens merged with ledger entries), newest first.
public struct WalletView: Sendable, Hashable, Codable {
    public var userID: String
    /// Credited money per currency (`wallet_accounts`).
    public var balances: [WalletBalance]
    /// Tokens whose order id is not credited yet (at most the newest ``WalletReader/Configuration/pendingScanLimit`` tokens are looked at).
    public var pending: [PendingReward]
    /// The pending amounts summed per unit (a currency code, or `item` for goods).
    public var pendingTotals: [String: Int64]
    /// More tokens exist than were looked at for ``pending``.
    public var pendingTruncated: Bool
    /// One page of the history.
    public var history: [WalletHistoryItem]
    /// Pass as `cursor` for the next page; `nil` on the last page.
    public var nextCursor: String?
    /// Stores that did not answer, so this answer is reduced (`tokens`: no pending rewards and the
    /// history from the ledgers only; `claims`: statuses read from the ledgers). Empty normally.
    public var degraded: [String]
}

/// One currency's balance.
public struct WalletBalance: Sendable, Hashable, Codable {
    public var currency: String
    /// Minor units.
    public var balance: Int64
    /// Everything ever credited, minor units.
    public var credited: Int64
    /// Everything ever debited (withdrawn), minor units.
    public var debited: Int64
}

/// A reward granted and shown with its token, not yet credited.
public struct PendingReward: Sendable, Hashable, Codable {
    public var orderID: String
    public var rewardType: String
    public var amount: Int64
    public var unit: String
    public var activityID: String
    public var sceneID: String
    /// The signed token: the client may present it with a withdrawal.
    public var token: String
    public var issuedAt: Date
    public var expiresAt: Date
}

/// One line of the wallet history.
public struct WalletHistoryItem: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// A granted reward (from its token, or from the ledger when no token is recorded).
        case reward
        /// Money taken out of the wallet by a withdrawal.
        case withdrawal
    }

    public enum Status: String, Sendable, Hashable, Codable {
        /// Granted, waiting to be credited.
        case pending
        /// In the ledger.
        case credited
        /// Its order id was claimed for another user, type or amount: never paid.
        case refused
        /// A withdrawal's debit.
        case withdrawn
    }

    public var kind: Kind
    public var status: Status
    /// The reward's order id (rewards only).
    public var orderID: String?
    /// The ledger transfer (`credit:<order id>`, `withdraw:<request id>`), when the ledger has one.
    public var transferID: String?
    public var rewardType: String?
    public var activityID: String?
    /// Minor units or an item count; positive, also for withdrawals.
    public var amount: Int64
    /// A currency code, `item`, or `unknown` for a reward type this deployment no longer knows.
    public var unit: String
    /// When it was granted (tokens) or booked (ledger rows).
    public var at: Date
    /// The token, for rewards shown from their token.
    public var token: String?
}
