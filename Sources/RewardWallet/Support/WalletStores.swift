public import MariaDB
public import RewardSettlement

/// Where the wallet reads and writes, each store sharded by its own key.
///
/// `reward_tokens` by user id; the settlement stores as the engine uses them: order claims by
/// order id, `wallet_accounts`/`wallet_entries` and `goods_grants` by user id. Withdrawals and
/// payouts live on the user's wallet shard, beside the account they debit. Nothing joins across
/// stores in SQL: each is queried on its own shard and the answers are merged in Swift.
public struct WalletStores: Sendable {
    /// `reward_tokens`, by user id.
    public var tokens: ShardedPool
    /// Claims, wallet, goods (and the budgets the engine needs).
    public var settlement: SettlementStores

    /// - Parameters:
    ///   - tokens: Pools of `reward_tokens` by user id.
    ///   - settlement: The stores the settlement engine uses.
    public init(tokens: ShardedPool, settlement: SettlementStores) {
        self.tokens = tokens
        self.settlement = settlement
    }

    /// Every store in one database (one machine, tests, the benchmark).
    public init(single pool: MariaDBPool) {
        self.init(tokens: ShardedPool([pool]), settlement: SettlementStores(single: pool))
    }
}
