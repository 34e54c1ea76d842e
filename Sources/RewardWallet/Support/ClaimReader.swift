import MariaDB
import RewardSettlement

/// A claim as the wallet sees it: who may be paid for the order id, and whether it is paid.
struct ClaimSnapshot: Sendable, Hashable {
    var identity: ClaimIdentity
    var credited: Bool
}

/// What a token's order id says in the claims store, from the token's point of view.
enum ClaimStatus: Sendable, Hashable {
    /// No claim yet, or claimed and not yet credited: waiting to settle.
    case pending
    /// Credited for exactly this grant.
    case credited
    /// Claimed for another user, type, amount or activity: never paid for this token.
    case conflict(ClaimIdentity)
}

/// Reads `order_claims` through the claims pools (sharded by order id), one query per shard chunk.
struct ClaimReader: Sendable {
    let shards: ShardedPool

    func read(_ orderIDs: some Sequence<String>) async throws -> [String: ClaimSnapshot] {
        var claims: [String: ClaimSnapshot] = [:]
        for group in shards.grouped(orderIDs) {
            var query: SQLQuery = """
                SELECT order_id, user_id, activity_id, reward_type, amount, state FROM order_claims FORCE INDEX (PRIMARY)
                WHERE order_id IN
                """
            query.append(sql: " ")
            query.appendList(group.keys)
            for row in try await group.pool.query(query) {
                claims[try row.decode("order_id")] = ClaimSnapshot(
                    identity: ClaimIdentity(
                        userID: try row.decode("user_id"), activityID: try row.decode("activity_id"),
                        rewardType: try row.decode("reward_type"), amount: try row.decode("amount")),
                    credited: try row.decode("state", as: String.self) == "credited")
            }
        }
        return claims
    }

    /// The status of a grant with `identity` given its order id's claim (or none).
    static func status(of identity: ClaimIdentity, claim: ClaimSnapshot?) -> ClaimStatus {
        guard let claim else { return .pending }
        guard claim.identity == identity else { return .conflict(claim.identity) }
        return claim.credited ? .credited : .pending
    }
}
