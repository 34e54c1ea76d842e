import Foundation
import Logging
import MariaDB
import RewardCore
import Synchronization

/// Records the tokens of a batch in `reward_tokens` (keyed by user id) before it settles, so a
/// grant whose SDK-side write was lost still shows on the wallet page. Best effort: the wallet
/// view is not a core dependency of settlement, so a failure is logged and counted, not retried.
///
/// The SDK has normally recorded every token already, so the batch's keys are looked up first
/// with a plain (lock-free, consistent) read and only the missing rows are inserted, in primary
/// key order. Inserting the whole batch with `INSERT IGNORE` every time took a row lock per
/// existing row, on every batch of every consumer, and consumers racing over the same users in
/// different orders deadlocked.
final class ConsumerTokenRecorder: Sendable {
    /// What this recorder did so far.
    struct Statistics: Sendable, Equatable {
        var lookups = 0
        var inserts = 0
        var rowsInserted = 0
        var failures = 0
    }

    private struct Row {
        var event: BonusEvent
        var token: RewardToken
        var key: Key { Key(user: event.user.id, order: event.orderID.rawValue) }
    }

    private struct Key: Hashable, Comparable {
        var user: String
        var order: String
        /// Byte order, as the table's binary collation sorts its primary key.
        static func < (a: Key, b: Key) -> Bool {
            a.user != b.user ? a.user.utf8.lexicographicallyPrecedes(b.user.utf8) : a.order.utf8.lexicographicallyPrecedes(b.order.utf8)
        }
    }

    private let pool: MariaDBPool?
    private let keyRing: TokenKeyRing
    private let logger: Logger
    private let counts = Mutex(Statistics())

    init(pool: MariaDBPool?, keyRing: TokenKeyRing, logger: Logger) {
        self.pool = pool
        self.keyRing = keyRing
        self.logger = logger
    }

    var statistics: Statistics { counts.withLock { $0 } }

    func record(_ events: [BonusEvent]) async {
        guard let pool, !events.isEmpty else { return }
        var byKey: [Key: Row] = [:]
        for event in events {
            guard let token = try? RewardToken(parsing: event.token) else { continue }
            let row = Row(event: event, token: token)
            byKey[row.key] = byKey[row.key] ?? row
        }
        guard !byKey.isEmpty else { return }
        do {
            counts.withLock { $0.lookups += 1 }
            let present = try await existing(Array(byKey.keys), in: pool)
            let missing = byKey.filter { !present.contains($0.key) }.sorted { $0.key < $1.key }.map(\.value)
            guard !missing.isEmpty else { return }
            try await pool.execute(Self.insert(missing))
            counts.withLock {
                $0.inserts += 1
                $0.rowsInserted += missing.count
            }
        } catch {
            counts.withLock { $0.failures += 1 }
            logger.warning("could not record tokens for the wallet view", metadata: ["error": "\(error)", "count": "\(events.count)"])
        }
    }

    /// The keys already in the table. Filters on both columns' lists (the primary key's range on
    /// the users) and keeps the exact pairs here.
    private func existing(_ keys: [Key], in pool: MariaDBPool) async throws -> Set<Key> {
        var query = SQLQuery(sql: "SELECT user_id, order_id FROM reward_tokens FORCE INDEX (PRIMARY) WHERE user_id IN ")
        query.appendList(Set(keys.map(\.user)).sorted())
        query.append(sql: " AND order_id IN ")
        query.appendList(Set(keys.map(\.order)).sorted())
        let wanted = Set(keys)
        var found = Set<Key>()
        for row in try await pool.query(query) {
            let key = Key(user: try row.decode("user_id"), order: try row.decode("order_id"))
            if wanted.contains(key) { found.insert(key) }
        }
        return found
    }

    private static func insert(_ rows: [Row]) -> SQLQuery {
        var query: SQLQuery = """
            INSERT IGNORE INTO reward_tokens (user_id, order_id, token, activity_id, scene_id, reward_type, amount,
                                              issued_at, expires_at, recorded_by, recorded_at, granted_by) VALUES
            """
        for (index, row) in rows.enumerated() {
            let event = row.event
            if index > 0 { query.append(sql: ",") }
            let issued = Date(timeIntervalSince1970: TimeInterval(row.token.issuedAt))
            let expires = Date(timeIntervalSince1970: TimeInterval(row.token.expiresAt))
            query.append("""
                (\(event.user.id), \(event.orderID.rawValue), \(event.token), \(event.activity.id), \(event.activity.sceneID),
                 \(event.bonus.rewardType), \(event.bonus.amount), \(issued), \(expires), 'consumer', UTC_TIMESTAMP(6),
                 \(event.grantedBy))
                """)
        }
        return query
    }
}
