import Foundation
import MariaDB
import RewardSettlement
import RewardCore

/// A withdrawal as recorded in `withdrawals`.
struct RecordedWithdrawal: Sendable {
    var userID: String
    var currency: String
    var amount: Int64
    var state: String
    var receipt: WithdrawalReceipt?
}

/// How the debit transaction ended.
enum DebitOutcome: Sendable {
    case debited(balanceAfter: Int64)
    /// The balance does not cover the amount; `balance` is what there was.
    case insufficient(balance: Int64)
    /// Another call with this request id committed first.
    case requestIDTaken
}

/// The SQL of `withdrawals` and the debit (sharded by user id: every query names one user's shard).
struct WithdrawalStore: Sendable {
    /// The system account withdrawn money moves to (the other leg of a debit).
    static let payoutAccount = "~payout"

    let shards: ShardedPool

    func find(user: String, requestID: String) async throws -> RecordedWithdrawal? {
        let rows = try await shards.pool(for: user).query("""
            SELECT user_id, currency, amount, state, result FROM withdrawals WHERE request_id = \(requestID)
            """)
        guard let row = rows.first else { return nil }
        let result: String? = try row.decode("result")
        return RecordedWithdrawal(
            userID: try row.decode("user_id"), currency: try row.decode("currency"), amount: try row.decode("amount"),
            state: try row.decode("state"), receipt: result.flatMap(Self.decodeReceipt))
    }

    /// In one transaction: takes the request id, locks the account, and either debits it (legs
    /// `withdraw:<request id>` user −amount / `~payout` +amount, balance, state `debited`) or,
    /// when `recordRefusal` and the balance is short, records the refusal. A short balance without
    /// `recordRefusal` rolls everything back (nothing recorded, the caller may retry).
    func debit(_ request: WithdrawalRequest, receipt: (DebitOutcome) -> WithdrawalReceipt, recordRefusal: Bool) async throws
        -> DebitOutcome
    {
        let now = WallClock.date()
        let pool = shards.pool(for: request.userID)
        do {
            return try await pool.withTransaction { connection in
                // First, so a concurrent call with the same request id waits here and then fails on the key.
                try await connection.execute("""
                    INSERT INTO withdrawals (request_id, user_id, currency, amount, state, requested_at, updated_at)
                    VALUES (\(request.requestID), \(request.userID), \(request.currency), \(request.amount), 'requested', \(now), \(now))
                    """)
                // The row lock serialises every withdrawal (and credit) of this account: no overdraft.
                let rows = try await connection.query("""
                    SELECT balance FROM wallet_accounts WHERE user_id = \(request.userID) AND currency = \(request.currency) FOR UPDATE
                    """)
                let balance: Int64 = try rows.first?.decode("balance") ?? 0
                guard balance >= request.amount else {
                    let outcome = DebitOutcome.insufficient(balance: balance)
                    guard recordRefusal else { throw ShortBalance(balance: balance) }
                    try await connection.execute("""
                        UPDATE withdrawals SET state = 'refused', refusal_code = 'insufficient_funds',
                            result = \(Self.encode(receipt(outcome))), updated_at = \(now)
                        WHERE request_id = \(request.requestID)
                        """)
                    return outcome
                }
                let transfer = "withdraw:\(request.requestID)"
                try await connection.execute("""
                    INSERT INTO wallet_entries (transfer_id, user_id, account, currency, amount, created_at) VALUES
                    (\(transfer), \(request.userID), \(request.userID), \(request.currency), \(-request.amount), \(now)),
                    (\(transfer), \(request.userID), \(Self.payoutAccount), \(request.currency), \(request.amount), \(now))
                    """)
                try await connection.execute("""
                    UPDATE wallet_accounts SET balance = balance - \(request.amount), debited = debited + \(request.amount),
                        updated_at = \(now)
                    WHERE user_id = \(request.userID) AND currency = \(request.currency)
                    """)
                let outcome = DebitOutcome.debited(balanceAfter: balance - request.amount)
                try await connection.execute("""
                    UPDATE withdrawals SET state = 'debited', result = \(Self.encode(receipt(outcome))), debited_at = \(now),
                        updated_at = \(now)
                    WHERE request_id = \(request.requestID)
                    """)
                return outcome
            }
        } catch let error as MariaDBError where error.code == .duplicateKey {
            return .requestIDTaken
        } catch let short as ShortBalance {
            return .insufficient(balance: short.balance)
        }
    }

    /// Records the payout once the payout ledger took it (only a `debited` withdrawal moves on).
    func markPaidOut(user: String, requestID: String, reference: String, receipt: WithdrawalReceipt) async throws {
        let now = WallClock.date()
        try await shards.pool(for: user).execute("""
            UPDATE withdrawals SET state = 'paid_out', payout_reference = \(reference), result = \(Self.encode(receipt)),
                paid_out_at = \(now), updated_at = \(now)
            WHERE request_id = \(requestID) AND state = 'debited'
            """)
    }

    private struct ShortBalance: Error {
        var balance: Int64
    }

    static func encode(_ receipt: WithdrawalReceipt) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        // A receipt holds strings and integers only; encoding it cannot fail.
        return (try? encoder.encode(receipt)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    static func decodeReceipt(_ text: String) -> WithdrawalReceipt? {
        try? JSONDecoder().decode(WithdrawalReceipt.self, from: Data(text.utf8))
    }
}
