import Foundation
import MariaDB
import RewardSettlement

/// One row of `reward_tokens`.
struct StoredToken: Sendable, Hashable {
    var orderID: String
    var token: String
    var activityID: String
    var sceneID: String
    var rewardType: String
    var amount: Int64
    var issuedAt: Date
    var expiresAt: Date
}

/// The SQL of `reward_tokens` (sharded by user id: every query names one user).
struct TokenStore: Sendable {
    let shards: ShardedPool

    private static let columns = "order_id, token, activity_id, scene_id, reward_type, amount, issued_at, expires_at"

    /// The user's newest tokens, newest first; only `rewardTypes` when given.
    func recent(user: String, rewardTypes: [String]? = nil, limit: Int) async throws -> [StoredToken] {
        var query = SQLQuery(sql: "SELECT \(Self.columns) FROM reward_tokens WHERE user_id = ")
        query.append(bind: user)
        if let rewardTypes {
            query.append(sql: " AND reward_type IN ")
            query.appendList(rewardTypes.sorted())
        }
        query.append(sql: " ORDER BY issued_at DESC, order_id DESC LIMIT \(max(1, limit))")
        return try await shards.pool(for: user).query(query).map(Self.decode)
    }

    /// One page of the user's tokens after `position` in history order (see ``HistoryPosition``).
    func page(user: String, after position: HistoryPosition?, limit: Int) async throws -> [StoredToken] {
        var query = SQLQuery(sql: "SELECT \(Self.columns) FROM reward_tokens WHERE user_id = ")
        query.append(bind: user)
        position?.appendCondition(to: &query, rank: HistoryPosition.tokenRank, time: "issued_at", id: "order_id",
                                  idValue: position?.id ?? "")
        query.append(sql: " ORDER BY issued_at DESC, order_id DESC LIMIT \(max(1, limit))")
        return try await shards.pool(for: user).query(query).map(Self.decode)
    }

    /// The user's tokens for these order ids.
    func lookup(user: String, orderIDs: [String]) async throws -> [String: StoredToken] {
        guard !orderIDs.isEmpty else { return [:] }
        var query = SQLQuery(sql: "SELECT \(Self.columns) FROM reward_tokens FORCE INDEX (PRIMARY) WHERE user_id = ")
        query.append(bind: user)
        query.append(sql: " AND order_id IN ")
        query.appendList(Set(orderIDs).sorted())
        var found: [String: StoredToken] = [:]
        for row in try await shards.pool(for: user).query(query) {
            let token = try Self.decode(row)
            found[token.orderID] = token
        }
        return found
    }

    /// Records tokens a client presented that the store did not have (`recorded_by = 'withdrawal'`).
    func record(user: String, _ tokens: [StoredToken], now: Date) async throws {
        guard !tokens.isEmpty else { return }
        var query: SQLQuery = """
            INSERT IGNORE INTO reward_tokens (user_id, order_id, token, activity_id, scene_id, reward_type, amount,
                                              issued_at, expires_at, recorded_by, recorded_at) VALUES
            """
        for (index, token) in tokens.enumerated() {
            query.append(sql: index == 0 ? " " : ", ")
            query.append("""
                (\(user), \(token.orderID), \(token.token), \(token.activityID), \(token.sceneID), \(token.rewardType), \
                \(token.amount), \(token.issuedAt), \(token.expiresAt), 'withdrawal', \(now))
                """)
        }
        try await shards.pool(for: user).execute(query)
    }

    private static func decode(_ row: MariaDBRow) throws -> StoredToken {
        StoredToken(
            orderID: try row.decode("order_id"), token: try row.decode("token"), activityID: try row.decode("activity_id"),
            sceneID: try row.decode("scene_id"), rewardType: try row.decode("reward_type"), amount: try row.decode("amount"),
            issuedAt: try row.decode("issued_at"), expiresAt: try row.decode("expires_at"))
    }
}
