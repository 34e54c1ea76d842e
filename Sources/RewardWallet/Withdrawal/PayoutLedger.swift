import Foundation
import MariaDB
public import RewardSettlement
import RewardCore

/// The built-in payout ledger: money a withdrawal debited, handed over for payment, once per
/// withdrawal request id (`payouts`, on the user's wallet shard).
///
/// It speaks the same ``Ledger`` protocol as the credit ledgers, with the request id in the
/// credit's order id field, so a deployment can swap in an HTTP payout ledger (`HTTPLedger`)
/// without touching the withdrawal path. A request id paid before answers already credited.
public final class PayoutLedger: Ledger {
    public let id: String
    private let shards: ShardedPool

    /// - Parameters:
    ///   - id: The ledger id (default `payout`).
    ///   - shards: Wallet pools by user id (``WalletStores/settlement``'s `wallet`).
    public init(id: String = "payout", shards: ShardedPool) {
        self.id = id
        self.shards = shards
    }

    public func credit(_ credits: [LedgerCredit]) async -> [LedgerResult] {
        var results: [LedgerResult] = []
        for credit in credits {
            results.append(await pay(credit))
        }
        return results
    }

    private func pay(_ credit: LedgerCredit) async -> LedgerResult {
        guard credit.amount > 0 else { return .permanent(code: "invalid_amount", message: "payouts must be positive") }
        let requestID = credit.orderID.rawValue
        let reference = "payout:\(requestID)"
        let pool = shards.pool(for: credit.userID)
        do {
            // INSERT IGNORE: a repeated request id inserts nothing; the read below tells which case it was.
            let result = try await pool.execute("""
                INSERT IGNORE INTO payouts (request_id, user_id, currency, amount, created_at)
                VALUES (\(requestID), \(credit.userID), \(credit.unit), \(credit.amount), \(WallClock.date()))
                """)
            if result.affectedRows == 1 { return .credited(reference: reference) }
            let rows = try await pool.query("SELECT user_id, currency, amount FROM payouts WHERE request_id = \(requestID)")
            guard let row = rows.first else { return .retriable("payout row neither inserted nor found") }
            let same = try row.decode("user_id", as: String.self) == credit.userID
                && row.decode("currency", as: String.self) == credit.unit && row.decode("amount", as: Int64.self) == credit.amount
            return same ? .alreadyCredited(reference: reference)
                : .permanent(code: "payout_mismatch", message: "payout \(requestID) exists with other fields")
        } catch {
            return .retriable("payout: \(error)")
        }
    }
}
