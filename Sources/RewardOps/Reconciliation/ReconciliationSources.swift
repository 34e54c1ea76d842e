import Foundation
import MariaDB

/// What the three sources say about the orders of a time range, read by order id.
struct ReconciliationSources: Sendable {
    struct Grant: Sendable, Codable {
        var orderID: String
        var userID: String
        var activityID: String
        var sceneID: String
        var rewardType: String
        var amount: Int64
        var token: String
        var issuedAt: Date
    }

    struct Claim: Sendable {
        var orderID: String
        var userID: String
        var activityID: String
        var rewardType: String
        var amount: Int64
        var ledger: String
        var credited: Bool
        var grantedAt: Date
        /// The token the claim was settled with (`NULL` for claims older than migration 0013).
        var token: String?
    }

    struct Credit: Sendable {
        var orderID: String
        var userID: String
        var activityID: String?
        var rewardType: String?
        var amount: Int64
        var createdAt: Date
    }

    var grants: [String: Grant] = [:]
    var claims: [String: Claim] = [:]
    var credits: [String: [Credit]] = [:]
    /// Orders held for their budget cap: waiting for a person, counted by `budget show`.
    var held: Set<String> = []
    /// Grants found on the lane topics only: their tokens were never recorded.
    var onlyOnTopics: Set<String> = []

    /// Reads grants and claims dated in the range, every credit of those orders, and credits
    /// made in the range whose order is not one of them (credited without a grant, or for a grant
    /// of another range: those are looked up and left to their own range).
    static func load(pool: MariaDBPool, from: Date, to: Date, logGrants: [String: Grant] = [:]) async throws -> ReconciliationSources {
        var sources = ReconciliationSources()
        for row in try await pool.query("""
            SELECT order_id, user_id, activity_id, scene_id, reward_type, amount, token, issued_at FROM reward_tokens
            WHERE issued_at >= \(from) AND issued_at < \(to)
            """) {
            let grant = try Grant(row)
            sources.grants[grant.orderID] = grant
        }
        for (order, grant) in logGrants where sources.grants[order] == nil {
            sources.grants[order] = grant
            sources.onlyOnTopics.insert(order)
        }
        for row in try await pool.query("""
            SELECT order_id, user_id, activity_id, reward_type, amount, ledger, state, granted_at, token FROM order_claims
            WHERE granted_at >= \(from) AND granted_at < \(to)
            """) {
            let claim = try Claim(row)
            sources.claims[claim.orderID] = claim
        }
        try await sources.loadClaims(Array(Set(sources.grants.keys).subtracting(sources.claims.keys)), pool: pool)
        let known = Set(sources.grants.keys).union(sources.claims.keys)
        try await sources.loadCredits(orders: Array(known), pool: pool)

        // Credits made in the range for orders not seen yet.
        var strays: Set<String> = []
        for row in try await pool.query("""
            SELECT DISTINCT order_id FROM wallet_entries WHERE created_at >= \(from) AND created_at < \(to) AND order_id IS NOT NULL
            UNION SELECT DISTINCT order_id FROM goods_grants WHERE created_at >= \(from) AND created_at < \(to)
            """) {
            let order: String = try row.decode("order_id")
            if !known.contains(order) { strays.insert(order) }
        }
        if !strays.isEmpty {
            var elsewhere = ReconciliationSources()
            try await elsewhere.loadGrants(Array(strays), pool: pool)
            try await elsewhere.loadClaims(Array(strays), pool: pool)
            let orphans = strays.subtracting(elsewhere.grants.keys).subtracting(elsewhere.claims.keys)
            try await sources.loadCredits(orders: Array(orphans), pool: pool)
        }
        for chunk in Self.chunks(Array(sources.claims.keys)) {
            var query: SQLQuery = "SELECT order_id FROM budget_reservations WHERE state = 'held' AND order_id IN "
            query.appendIn(chunk)
            for row in try await pool.query(query) { sources.held.insert(try row.decode("order_id")) }
        }
        return sources
    }

    mutating func loadGrants(_ orders: [String], pool: MariaDBPool) async throws {
        for chunk in Self.chunks(orders) {
            var query: SQLQuery = """
                SELECT order_id, user_id, activity_id, scene_id, reward_type, amount, token, issued_at FROM reward_tokens WHERE order_id IN
                """
            query.appendIn(chunk)
            for row in try await pool.query(query) {
                let grant = try Grant(row)
                grants[grant.orderID] = grant
            }
        }
    }

    mutating func loadClaims(_ orders: [String], pool: MariaDBPool) async throws {
        for chunk in Self.chunks(orders) {
            var query: SQLQuery = """
                SELECT order_id, user_id, activity_id, reward_type, amount, ledger, state, granted_at, token FROM order_claims WHERE order_id IN
                """
            query.appendIn(chunk)
            for row in try await pool.query(query) {
                let claim = try Claim(row)
                claims[claim.orderID] = claim
            }
        }
    }

    /// User legs of the wallet (one per credit; the system leg mirrors it) and goods grants.
    mutating func loadCredits(orders: [String], pool: MariaDBPool) async throws {
        for chunk in Self.chunks(orders) {
            var wallet: SQLQuery = """
                SELECT order_id, account AS user_id, activity_id, reward_type, amount, created_at FROM wallet_entries
                WHERE account <> '~issuance' AND amount > 0 AND order_id IN
                """
            wallet.appendIn(chunk)
            var goods: SQLQuery = """
                SELECT order_id, user_id, activity_id, item_type AS reward_type, quantity AS amount, created_at FROM goods_grants
                WHERE order_id IN
                """
            goods.appendIn(chunk)
            for query in [wallet, goods] {
                for row in try await pool.query(query) {
                    let credit = Credit(
                        orderID: try row.decode("order_id"), userID: try row.decode("user_id"), activityID: try row.decode("activity_id"),
                        rewardType: try row.decode("reward_type"), amount: try row.decode("amount"), createdAt: try row.decode("created_at"))
                    credits[credit.orderID, default: []].append(credit)
                }
            }
        }
    }

    static func chunks(_ values: [String], size: Int = 1000) -> [[String]] {
        stride(from: 0, to: values.count, by: size).map { Array(values[$0..<min($0 + size, values.count)]) }
    }
}

extension ReconciliationSources.Grant {
    init(_ row: MariaDBRow) throws {
        self.init(orderID: try row.decode("order_id"), userID: try row.decode("user_id"), activityID: try row.decode("activity_id"),
                  sceneID: try row.decode("scene_id"), rewardType: try row.decode("reward_type"), amount: try row.decode("amount"),
                  token: try row.decode("token"), issuedAt: try row.decode("issued_at"))
    }
}

extension ReconciliationSources.Claim {
    init(_ row: MariaDBRow) throws {
        self.init(orderID: try row.decode("order_id"), userID: try row.decode("user_id"), activityID: try row.decode("activity_id"),
                  rewardType: try row.decode("reward_type"), amount: try row.decode("amount"), ledger: try row.decode("ledger"),
                  credited: try row.decode("state", as: String.self) == "credited", grantedAt: try row.decode("granted_at"),
                  token: try row.decode("token"))
    }
}

extension SQLQuery {
    /// Appends `(?, ?, …)`; `(NULL)` for none, which matches nothing.
    mutating func appendIn(_ values: [String]) {
        append(sql: "(")
        for (index, value) in values.enumerated() {
            if index > 0 { append(sql: ", ") }
            append(bind: value)
        }
        if values.isEmpty { append(sql: "NULL") }
        append(sql: ")")
    }
}
