public import MariaDB

/// Where settlement keeps its rows, each store sharded by its own key.
public struct SettlementStores: Sendable {
    /// `order_claims` and `order_anomalies`, by order id: cross-service idempotency must not
    /// depend on the user id a caller sent.
    public var claims: ShardedPool
    /// `wallet_accounts` and `wallet_entries`, by user id.
    public var wallet: ShardedPool
    /// `budgets` and `budget_reservations`, by activity id.
    public var budgets: ShardedPool
    /// `goods_grants`, by user id.
    public var goods: ShardedPool
    /// `rate_leases`: the fleet's rate-share coordination (one database, the first claims shard by default).
    public var coordination: MariaDBPool

    /// Creates the store map.
    /// - Parameters:
    ///   - claims: Pools by order id.
    ///   - wallet: Pools by user id.
    ///   - budgets: Pools by activity id.
    ///   - goods: Pools by user id; defaults to `wallet`.
    ///   - coordination: The pool for `rate_leases`; defaults to the first claims pool.
    public init(claims: ShardedPool, wallet: ShardedPool, budgets: ShardedPool, goods: ShardedPool? = nil,
                coordination: MariaDBPool? = nil) {
        self.claims = claims
        self.wallet = wallet
        self.budgets = budgets
        self.goods = goods ?? wallet
        self.coordination = coordination ?? claims.pools[0]
    }

    /// Every store in one database (one machine, tests, the benchmark).
    public init(single pool: MariaDBPool) {
        let one = ShardedPool([pool])
        self.init(claims: one, wallet: one, budgets: one, goods: one, coordination: pool)
    }
}
