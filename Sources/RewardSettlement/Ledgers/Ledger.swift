public import Foundation
public import RewardCore

/// A system that holds what users own and can credit a reward to them.
///
/// Every ledger is idempotent by order id: crediting an order id twice credits once and answers
/// the second time with ``LedgerResult/alreadyCredited(reference:)``. The settlement engine relies
/// on that after a crash between the credit and the claim's confirmation.
public protocol Ledger: Sendable {
    /// The id the catalog's `ledger` field names: `wallet`, `goods`, `http:partner-prizes`.
    var id: String { get }

    /// Credits a batch; one result per credit, in input order. Never throws: a failure becomes
    /// ``LedgerResult/retriable(_:)`` or ``LedgerResult/permanent(code:message:)`` per credit.
    /// - Parameter credits: The credits; an order id may appear more than once (the later ones
    ///   answer as already credited).
    /// - Returns: One result per credit.
    func credit(_ credits: [LedgerCredit]) async -> [LedgerResult]
}

/// One credit a ledger is asked to make.
public struct LedgerCredit: Sendable, Hashable {
    /// The idempotency key across every ledger.
    public var orderID: OrderID
    public var userID: String
    public var activityID: String
    public var rewardType: String
    /// Minor units (or an item count for goods).
    public var amount: Int64
    /// The reward type's unit: a currency code (`CNY`, `COIN`) or `item`.
    public var unit: String
    /// When the SDK accepted the grant.
    public var grantedAt: Date

    /// Creates a credit.
    public init(orderID: OrderID, userID: String, activityID: String, rewardType: String, amount: Int64, unit: String,
                grantedAt: Date) {
        self.orderID = orderID
        self.userID = userID
        self.activityID = activityID
        self.rewardType = rewardType
        self.amount = amount
        self.unit = unit
        self.grantedAt = grantedAt
    }
}

/// A ledger's answer for one credit.
public enum LedgerResult: Sendable, Hashable {
    /// Credited now; the reference is the ledger's id for the credit.
    case credited(reference: String)
    /// The order id was credited before; nothing changed.
    case alreadyCredited(reference: String)
    /// Not credited, try again later (timeout, 5xx, 429, deadlock, lost connection, circuit open).
    case retriable(String)
    /// Not credited and never will be as it stands (the ledger refused the request).
    case permanent(code: String, message: String)

    /// A short name for metrics: `credited`, `already_credited`, `retriable`, `permanent`.
    public var label: String {
        switch self {
        case .credited: "credited"
        case .alreadyCredited: "already_credited"
        case .retriable: "retriable"
        case .permanent: "permanent"
        }
    }
}

/// The ledgers a deployment has, by id.
public struct LedgerDirectory: Sendable {
    private let ledgers: [String: any Ledger]

    /// - Parameter ledgers: The ledgers; a later one with the same id replaces an earlier one.
    public init(ledgers: [any Ledger]) {
        var byID: [String: any Ledger] = [:]
        for ledger in ledgers { byID[ledger.id] = ledger }
        self.ledgers = byID
    }

    /// The ledger with this id, or `nil` when the deployment has none.
    public func ledger(for id: String) -> (any Ledger)? {
        ledgers[id]
    }

    /// The ids of every ledger, sorted.
    public var ids: [String] { ledgers.keys.sorted() }
}
