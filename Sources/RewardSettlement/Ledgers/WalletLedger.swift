import Foundation
public import Logging
import MariaDB
public import Metrics
import RewardCore

/// The built-in double-entry wallet (cash and coins) in MariaDB, sharded by user id.
///
/// One transaction per (user shard, batch): read the legs that already exist for the batch's
/// transfer ids (`credit:<order id>`), insert only the new legs — the user's account `+amount` and
/// the system account `~issuance` `−amount` — and add the summed deltas to `wallet_accounts`.
/// A balance therefore always equals the sum of its account's entries, and the legs of every
/// transfer sum to zero. Two settlers racing on one order id: the unique key
/// `(transfer_id, account, currency)` stops the second insert, its transaction rolls back and its
/// retry reads the winner's legs, answering already credited.
public final class WalletLedger: Ledger {
    /// The system account every credit is issued from.
    public static let issuanceAccount = "~issuance"

    public let id: String
    private let shards: ShardedPool
    private let maxBatchSize: Int
    private let runner: TransactionRunner
    private let logger: Logger

    /// Creates the wallet ledger.
    /// - Parameters:
    ///   - id: The ledger id in the catalog (default `wallet`).
    ///   - shards: Wallet pools by user id (``SettlementStores/wallet``).
    ///   - maxBatchSize: Credits per transaction.
    ///   - hooks: Fault injection around commits (tests only).
    ///   - logger: Logs retries and re-checks.
    ///   - metrics: Transaction retries and commit re-checks; the engine records latency and results.
    public init(id: String = "wallet", shards: ShardedPool, maxBatchSize: Int = 500, hooks: TransactionHooks = TransactionHooks(),
                logger: Logger, metrics: any MetricsFactory) {
        self.id = id
        self.shards = shards
        self.maxBatchSize = maxBatchSize
        self.runner = TransactionRunner(hooks: hooks, logger: logger, metrics: metrics)
        self.logger = logger
    }

    public func credit(_ credits: [LedgerCredit]) async -> [LedgerResult] {
        await creditByUserShard(credits, shards: shards, maxBatchSize: maxBatchSize, refusal: Self.refusal) { [self] pool, items in
            await self.creditChunk(items, on: pool)
        }
    }

    private static func refusal(for credit: LedgerCredit) -> LedgerResult? {
        guard credit.amount > 0 else {
            return .permanent(code: "invalid_amount", message: "wallet credits must be positive")
        }
        guard !credit.unit.isEmpty, credit.unit.utf8.count <= 16, credit.unit != "item" else {
            return .permanent(code: "invalid_currency", message: "wallet credits need a currency unit, got '\(credit.unit)'")
        }
        return nil
    }

    private func creditChunk(_ items: [IndexedCredit], on pool: MariaDBPool) async -> [(Int, LedgerResult)] {
        // The first occurrence of a transfer id is the one credited; later ones in the batch repeat it.
        var firsts: [String: LedgerCredit] = [:]
        for item in items where firsts[Self.transferID(item.credit)] == nil {
            firsts[Self.transferID(item.credit)] = item.credit
        }
        let transfers = firsts.sorted { $0.key < $1.key }
        do {
            var lastAttempt = InsertOutcome()
            var attempts = 0
            let fresh = try await runner.run(.ledger, on: pool) { connection in
                // Optimistic first: a credit the ledger already has is rare (a crash before the
                // confirm, a race), and the unique key refuses it; the retry reads before it writes.
                attempts += 1
                lastAttempt = try await Self.insert(transfers, readFirst: attempts > 1, on: connection)
                return lastAttempt
            } recheck: {
                // Committed if every transfer the lost attempt inserted now has its legs.
                let keys = Array(lastAttempt.inserted)
                let existing = try await pool.withConnection { try await Self.existingLegs(keys, on: $0) }
                return keys.allSatisfy { existing[$0] != nil } ? lastAttempt : nil
            }
            var seen = Set<String>()
            return items.map { item in
                let transfer = Self.transferID(item.credit)
                let firstTime = seen.insert(transfer).inserted
                if let mismatch = fresh.mismatched[transfer] { return (item.index, mismatch) }
                return (item.index, firstTime && fresh.inserted.contains(transfer)
                    ? .credited(reference: transfer) : .alreadyCredited(reference: transfer))
            }
        } catch {
            logger.warning("wallet credit batch failed", metadata: ["credits": "\(items.count)", "error": "\(error)"])
            return items.map { ($0.index, .retriable("wallet: \(error)")) }
        }
    }

    private struct InsertOutcome: Sendable {
        var inserted: Set<String> = []
        var mismatched: [String: LedgerResult] = [:]
    }

    /// Reads existing legs, inserts the missing transfers and moves the balances; returns what it inserted.
    private static func insert(_ transfers: [(key: String, value: LedgerCredit)], readFirst: Bool, on connection: MariaDBConnection)
        async throws -> InsertOutcome
    {
        let existing = readFirst ? try await existingLegs(transfers.map(\.key), on: connection) : [:]
        var outcome = InsertOutcome()
        var legs: SQLQuery = """
            INSERT INTO wallet_entries (transfer_id, user_id, account, currency, amount, order_id, activity_id,
                reward_type, created_at) VALUES
            """
        var balances: [AccountKey: Int64] = [:]
        let now = WallClock.date()
        for (transfer, credit) in transfers {
            if let leg = existing[transfer] {
                if leg.account != credit.userID || leg.amount != credit.amount || leg.currency != credit.unit {
                    outcome.mismatched[transfer] = .permanent(
                        code: "transfer_mismatch", message: "transfer \(transfer) exists with other fields")
                }
                continue
            }
            let key = AccountKey(userID: credit.userID, currency: credit.unit)
            let (sum, overflow) = balances[key, default: 0].addingReportingOverflow(credit.amount)
            guard !overflow else {
                outcome.mismatched[transfer] = .permanent(code: "amount_overflow", message: "credits overflow the balance")
                continue
            }
            balances[key] = sum
            legs.append(sql: outcome.inserted.isEmpty ? " " : ", ")
            legs.append("""
                (\(transfer), \(credit.userID), \(credit.userID), \(credit.unit), \(credit.amount), \(credit.orderID.rawValue), \
                \(credit.activityID), \(credit.rewardType), \(now)), \
                (\(transfer), \(credit.userID), \(issuanceAccount), \(credit.unit), \(-credit.amount), \(credit.orderID.rawValue), \
                \(credit.activityID), \(credit.rewardType), \(now))
                """)
            outcome.inserted.insert(transfer)
        }
        guard !outcome.inserted.isEmpty else { return outcome }
        try await connection.execute(legs)

        // Sorted, so two batches touching the same accounts lock them in the same order.
        var upsert: SQLQuery = "INSERT INTO wallet_accounts (user_id, currency, balance, credited, debited, updated_at) VALUES"
        for (index, (key, delta)) in balances.sorted(by: { $0.key < $1.key }).enumerated() {
            upsert.append(sql: index == 0 ? " " : ", ")
            upsert.append("(\(key.userID), \(key.currency), \(delta), \(delta), 0, \(now))")
        }
        upsert.append(sql: """
             ON DUPLICATE KEY UPDATE balance = balance + VALUES(balance), credited = credited + VALUES(credited),
                updated_at = VALUES(updated_at)
            """)
        try await connection.execute(upsert)
        return outcome
    }

    private struct AccountKey: Hashable, Comparable {
        var userID: String
        var currency: String
        static func < (a: AccountKey, b: AccountKey) -> Bool { (a.userID, a.currency) < (b.userID, b.currency) }
    }

    private struct UserLeg: Sendable {
        var account: String
        var currency: String
        var amount: Int64
    }

    /// The user legs already written for these transfer ids.
    private static func existingLegs(_ transfers: [String], on connection: MariaDBConnection) async throws -> [String: UserLeg] {
        var select: SQLQuery = "SELECT transfer_id, account, currency, amount FROM wallet_entries FORCE INDEX (entries_one_leg_per_account) WHERE transfer_id IN "
        select.appendList(transfers)
        var legs: [String: UserLeg] = [:]
        for row in try await connection.query(select) {
            let account: String = try row.decode("account")
            guard account != issuanceAccount else { continue }
            legs[try row.decode("transfer_id")] = UserLeg(
                account: account, currency: try row.decode("currency"), amount: try row.decode("amount"))
        }
        return legs
    }

    static func transferID(_ credit: LedgerCredit) -> String { "credit:\(credit.orderID.rawValue)" }
}
