import Foundation
public import Logging
public import MariaDB
public import MetricsTestKit
public import RewardCore
import RewardOps
public import RewardSettlement

/// A migrated throwaway database with the stores, the built-in ledgers and an engine over them.
public struct SettlementFixture: Sendable {
    public let database: TestDatabase
    public let pool: MariaDBPool
    public let stores: SettlementStores
    public let catalog: RewardCatalog
    public let metrics: TestMetrics
    public let logger: Logger

    /// The repository's catalog (ops/config/reward-types.json).
    public static func repositoryCatalog() throws -> RewardCatalog {
        try RewardCatalog.load(from: "\(TestEnvironment.repositoryRoot)/ops/config/reward-types.json")
    }

    /// Applies the repository's migrations to a pool.
    public static func migrate(_ pool: MariaDBPool) async throws {
        let files = try MigrationFile.load(directory: "\(TestEnvironment.repositoryRoot)/migrations")
        _ = try await MigrationRunner(pool: pool, logger: TestMariaDB.quietLogger).migrate(files)
    }

    /// Runs `body` with a fresh migrated database; drops it afterwards, also when `body` throws.
    public static func with<T>(
        _ prefix: String, maxConnections: Int = 12, _ body: (SettlementFixture) async throws -> T
    ) async throws -> T {
        let database = try await TestMariaDB.makeDatabase(prefix: prefix)
        var configuration = database.configuration
        configuration.pool.maxConnections = maxConnections
        configuration.transactionIsolation = .readCommitted
        let pool = MariaDBPool(configuration: configuration, logger: TestMariaDB.quietLogger)
        let fixture = SettlementFixture(
            database: database, pool: pool, stores: SettlementStores(single: pool), catalog: try repositoryCatalog(),
            metrics: TestMetrics(), logger: makeTestLogger("settlement-\(prefix)"))
        do {
            try await migrate(pool)
            let result = try await body(fixture)
            await pool.shutdown()
            try await database.drop()
            return result
        } catch {
            await pool.shutdown()
            try? await database.drop()
            throw error
        }
    }

    /// The wallet and goods ledgers on this database.
    public func builtInLedgers(hooks: TransactionHooks = TransactionHooks()) -> [any Ledger] {
        [
            WalletLedger(shards: stores.wallet, hooks: hooks, logger: logger, metrics: metrics),
            GoodsLedger(shards: stores.goods, hooks: hooks, logger: logger, metrics: metrics),
        ]
    }

    /// An engine over the built-in ledgers (plus `extra`).
    public func engine(
        _ configure: (inout SettlementEngine.Configuration) -> Void = { _ in },
        ledgerHooks: TransactionHooks = TransactionHooks(), extra: [any Ledger] = [], catalog: RewardCatalog? = nil,
        logger: Logger? = nil
    ) -> SettlementEngine {
        var configuration = SettlementEngine.Configuration()
        configure(&configuration)
        return SettlementEngine(
            configuration: configuration, stores: stores,
            ledgers: LedgerDirectory(ledgers: builtInLedgers(hooks: ledgerHooks) + extra),
            catalog: catalog ?? self.catalog, logger: logger ?? self.logger, metrics: metrics)
    }

    // MARK: Reading the books

    public struct AccountKey: Hashable, CustomStringConvertible, Sendable {
        public init(userID: String, currency: String) {
            self.userID = userID
            self.currency = currency
        }

        public var userID: String
        public var currency: String
        public var description: String { "\(userID)/\(currency)" }
    }

    /// `wallet_accounts.balance` per account.
    public func balances() async throws -> [AccountKey: Int64] {
        var result: [AccountKey: Int64] = [:]
        for row in try await pool.query("SELECT user_id, currency, balance FROM wallet_accounts") {
            result[AccountKey(userID: try row.decode("user_id"), currency: try row.decode("currency"))] = try row.decode("balance")
        }
        return result
    }

    /// The sum of `wallet_entries` per user account (system account left out).
    public func entrySums() async throws -> [AccountKey: Int64] {
        var result: [AccountKey: Int64] = [:]
        for row in try await pool.query("""
            SELECT account, currency, CAST(SUM(amount) AS SIGNED) AS total FROM wallet_entries
            WHERE account <> '~issuance' GROUP BY account, currency
            """) {
            result[AccountKey(userID: try row.decode("account"), currency: try row.decode("currency"))] = try row.decode("total")
        }
        return result
    }

    /// Transfers whose legs do not sum to zero or are not exactly two.
    public func unbalancedTransfers() async throws -> Int {
        let rows = try await pool.query("""
            SELECT COUNT(*) AS n FROM (SELECT transfer_id FROM wallet_entries GROUP BY transfer_id
                HAVING SUM(amount) <> 0 OR COUNT(*) <> 2) AS bad
            """)
        return try rows[0].decode("n")
    }

    public func count(_ sql: String) async throws -> Int {
        let rows = try await pool.query(SQLQuery(sql: sql))
        return try rows[0].decode(0, as: Int.self)
    }

    /// Claim states by order id.
    public func claimStates() async throws -> [String: String] {
        var result: [String: String] = [:]
        for row in try await pool.query("SELECT order_id, state FROM order_claims") {
            result[try row.decode("order_id")] = try row.decode("state")
        }
        return result
    }
}

