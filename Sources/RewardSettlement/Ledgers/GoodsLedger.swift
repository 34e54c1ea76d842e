import Foundation
public import Logging
import MariaDB
public import Metrics
import RewardCore

/// The built-in goods ledger (coupons, frames, prizes) in MariaDB, sharded by user id.
///
/// One transaction per (user shard, batch): read the grants that exist for the batch's
/// (user id, order id) pairs, insert the missing ones. The unique key `(user_id, order_id)` is the
/// final arbiter when two settlers race; the loser's retry reads the winner's row. The item type is
/// the reward type and the quantity is the grant's amount.
public final class GoodsLedger: Ledger {
    public let id: String
    private let shards: ShardedPool
    private let maxBatchSize: Int
    private let runner: TransactionRunner
    private let logger: Logger

    /// Creates the goods ledger.
    /// - Parameters:
    ///   - id: The ledger id in the catalog (default `goods`).
    ///   - shards: Goods pools by user id (``SettlementStores/goods``).
    ///   - maxBatchSize: Credits per transaction.
    ///   - hooks: Fault injection around commits (tests only).
    ///   - logger: Logs failed batches.
    ///   - metrics: Transaction retries and commit re-checks; the engine records latency and results.
    public init(id: String = "goods", shards: ShardedPool, maxBatchSize: Int = 500, hooks: TransactionHooks = TransactionHooks(),
                logger: Logger, metrics: any MetricsFactory) {
        self.id = id
        self.shards = shards
        self.maxBatchSize = maxBatchSize
        self.runner = TransactionRunner(hooks: hooks, logger: logger, metrics: metrics)
        self.logger = logger
    }

    public func credit(_ credits: [LedgerCredit]) async -> [LedgerResult] {
        await creditByUserShard(credits, shards: shards, maxBatchSize: maxBatchSize, refusal: { credit in
            credit.amount > 0 ? nil : .permanent(code: "invalid_quantity", message: "goods quantities must be positive")
        }) { [self] pool, items in
            await self.creditChunk(items, on: pool)
        }
    }

    /// The ledger's idempotency key: one grant per (user, order id).
    private struct GrantKey: Hashable, Comparable, Sendable {
        var userID: String
        var orderID: String

        init(userID: String, orderID: String) {
            self.userID = userID
            self.orderID = orderID
        }

        init(_ credit: LedgerCredit) {
            self.init(userID: credit.userID, orderID: credit.orderID.rawValue)
        }

        static func < (a: GrantKey, b: GrantKey) -> Bool { (a.userID, a.orderID) < (b.userID, b.orderID) }
    }

    private func creditChunk(_ items: [IndexedCredit], on pool: MariaDBPool) async -> [(Int, LedgerResult)] {
        var firsts: [GrantKey: LedgerCredit] = [:]
        for item in items where firsts[GrantKey(item.credit)] == nil { firsts[GrantKey(item.credit)] = item.credit }  // first wins
        let grants = firsts.sorted { $0.key < $1.key }
        do {
            var lastAttempt: Set<GrantKey> = []
            var attempts = 0
            let inserted = try await runner.run(.ledger, on: pool) { connection in
                // Optimistic first, as in the wallet: the unique key refuses a grant that exists.
                attempts += 1
                lastAttempt = try await Self.insert(grants, readFirst: attempts > 1, on: connection)
                return lastAttempt
            } recheck: {
                let keys = Array(lastAttempt)
                let existing = try await pool.withConnection { try await Self.existing(keys, on: $0) }
                return keys.allSatisfy { existing.contains($0) } ? lastAttempt : nil
            }
            var seen = Set<GrantKey>()
            return items.map { item in
                let reference = "goods:\(item.credit.orderID.rawValue)"
                let first = seen.insert(GrantKey(item.credit)).inserted
                return (item.index, first && inserted.contains(GrantKey(item.credit))
                    ? .credited(reference: reference) : .alreadyCredited(reference: reference))
            }
        } catch {
            logger.warning("goods credit batch failed", metadata: ["credits": "\(items.count)", "error": "\(error)"])
            return items.map { ($0.index, .retriable("goods: \(error)")) }
        }
    }

    private static func insert(_ grants: [(key: GrantKey, value: LedgerCredit)], readFirst: Bool, on connection: MariaDBConnection)
        async throws -> Set<GrantKey>
    {
        let existing = readFirst ? try await existing(grants.map(\.key), on: connection) : []
        let now = WallClock.date()
        var insert: SQLQuery = """
            INSERT INTO goods_grants (user_id, order_id, item_type, quantity, activity_id, granted_at, created_at) VALUES
            """
        var inserted = Set<GrantKey>()
        for (key, credit) in grants where !existing.contains(key) {
            insert.append(sql: inserted.isEmpty ? " " : ", ")
            insert.append("""
                (\(key.userID), \(key.orderID), \(credit.rewardType), \(credit.amount), \(credit.activityID), \
                \(credit.grantedAt), \(now))
                """)
            inserted.insert(key)
        }
        if !inserted.isEmpty { try await connection.execute(insert) }
        return inserted
    }

    private static func existing(_ keys: [GrantKey], on connection: MariaDBConnection) async throws -> Set<GrantKey> {
        guard !keys.isEmpty else { return [] }
        var select: SQLQuery = "SELECT user_id, order_id FROM goods_grants FORCE INDEX (goods_by_order) WHERE order_id IN "
        select.appendList(Set(keys.map(\.orderID)).sorted())
        var found = Set<GrantKey>()
        for row in try await connection.query(select) {
            found.insert(GrantKey(userID: try row.decode("user_id"), orderID: try row.decode("order_id")))
        }
        return found
    }
}
