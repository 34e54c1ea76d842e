import Foundation
public import Logging
import MariaDB
public import Metrics

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
        var results = [LedgerResult?](repeating: nil, count: credits.count)
        var valid: [Item] = []
        for (index, credit) in credits.enumerated() {
            if credit.amount > 0 {
                valid.append(Item(index: index, credit: credit))
            } else {
                results[index] = .permanent(code: "invalid_quantity", message: "goods quantities must be positive")
            }
        }
        let chunks = shardedChunks(valid, shards: shards, maxChunk: maxBatchSize) { $0.credit.userID }
        let chunkResults = await concurrentMap(chunks.map { Chunk(pool: $0.pool, items: $0.items) }, limit: 8) {
            [self] chunk in await self.creditChunk(chunk)
        }
        for chunk in chunkResults {
            for (index, result) in chunk { results[index] = result }
        }
        return results.map { $0 ?? .retriable("goods: no result") }
    }

    private struct Item: Sendable {
        var index: Int
        var credit: LedgerCredit
        var key: GrantKey { GrantKey(userID: credit.userID, orderID: credit.orderID.rawValue) }
    }

    private struct Chunk: Sendable {
        var pool: MariaDBPool
        var items: [Item]
    }

    private struct GrantKey: Hashable, Comparable, Sendable {
        var userID: String
        var orderID: String
        static func < (a: GrantKey, b: GrantKey) -> Bool { (a.userID, a.orderID) < (b.userID, b.orderID) }
    }

    private func creditChunk(_ chunk: Chunk) async -> [(Int, LedgerResult)] {
        var firsts: [GrantKey: LedgerCredit] = [:]
        for item in chunk.items where firsts[item.key] == nil { firsts[item.key] = item.credit }
        let grants = firsts.sorted { $0.key < $1.key }
        do {
            var lastAttempt: Set<GrantKey> = []
            var attempts = 0
            let inserted = try await runner.run(.ledger, on: chunk.pool) { connection in
                // Optimistic first, as in the wallet: the unique key refuses a grant that exists.
                attempts += 1
                lastAttempt = try await Self.insert(grants, readFirst: attempts > 1, on: connection)
                return lastAttempt
            } recheck: {
                let keys = Array(lastAttempt)
                let existing = try await chunk.pool.withConnection { try await Self.existing(keys, on: $0) }
                return keys.allSatisfy { existing.contains($0) } ? lastAttempt : nil
            }
            var seen = Set<GrantKey>()
            return chunk.items.map { item in
                let reference = "goods:\(item.credit.orderID.rawValue)"
                let first = seen.insert(item.key).inserted
                return (item.index, first && inserted.contains(item.key)
                    ? .credited(reference: reference) : .alreadyCredited(reference: reference))
            }
        } catch {
            logger.warning("goods credit batch failed", metadata: ["credits": "\(chunk.items.count)", "error": "\(error)"])
            return chunk.items.map { ($0.index, .retriable("goods: \(error)")) }
        }
    }

    private static func insert(_ grants: [(key: GrantKey, value: LedgerCredit)], readFirst: Bool, on connection: MariaDBConnection)
        async throws -> Set<GrantKey>
    {
        let existing = readFirst ? try await existing(grants.map(\.key), on: connection) : []
        let now = Date()
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
