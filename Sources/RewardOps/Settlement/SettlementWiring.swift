public import Configuration
public import Logging
public import MariaDB
public import Metrics
public import RewardCore
public import RewardSettlement

/// The settlement engine an admin command settles through, built from the same settings as the
/// consumers' (db.*, catalog.path, ledgers.<name>.url, tokens.*), so a drain, a replay or a repair
/// credits exactly as a consumer would, idempotent by order id. It carries the key ring: the
/// engine settles only grants the ring verified.
public struct SettlementWiring: Sendable {
    public let pool: MariaDBPool
    public let stores: SettlementStores
    public let catalog: RewardCatalog
    public let keyRing: TokenKeyRing
    public let engine: SettlementEngine
    private let httpLedgers: [HTTPLedger]

    /// Builds the engine over one database and every ledger the catalog names.
    /// - Throws: ``ConfigurationError`` when the catalog cannot be read or an HTTP ledger has no URL.
    public init(config: ConfigReader, logger: Logger, metrics: any MetricsFactory = MetricsSystem.factory) throws {
        let catalog = try RewardCatalog.load(from: config.string(forKey: "catalog.path", default: "ops/config/reward-types.json"))
        let keyRing = try TokenKeyRing(config: config)
        let pool = MariaDBPool(configuration: MariaDBConfiguration(config: config.scoped(to: "db")), logger: logger)
        try self.init(pool: pool, catalog: catalog, keyRing: keyRing, config: config, logger: logger, metrics: metrics)
    }

    /// Builds the engine over a pool the caller owns (tests); ``shutdown()`` still closes it.
    public init(pool: MariaDBPool, catalog: RewardCatalog, keyRing: TokenKeyRing, config: ConfigReader?, logger: Logger,
                metrics: any MetricsFactory = MetricsSystem.factory) throws {
        let stores = SettlementStores(single: pool)
        var ledgers: [any Ledger] = [
            WalletLedger(shards: stores.wallet, logger: logger, metrics: metrics),
            GoodsLedger(shards: stores.goods, logger: logger, metrics: metrics),
        ]
        var httpLedgers: [HTTPLedger] = []
        for name in Set(catalog.types.values.compactMap { $0.ledger.hasPrefix("http:") ? String($0.ledger.dropFirst(5)) : nil }).sorted() {
            // A ledger without a URL is left out: its rewards answer permanent and are reported, not lost.
            guard let url = config?.string(forKey: ConfigKey("ledgers.\(name).url")) else { continue }
            let ledger = HTTPLedger(name: name, configuration: HTTPLedger.Configuration(baseURL: url), logger: logger, metrics: metrics)
            httpLedgers.append(ledger)
            ledgers.append(ledger)
        }
        self.pool = pool
        self.stores = stores
        self.catalog = catalog
        self.keyRing = keyRing
        self.httpLedgers = httpLedgers
        self.engine = SettlementEngine(configuration: .init(), stores: stores, ledgers: LedgerDirectory(ledgers: ledgers),
                                       catalog: catalog, logger: logger, metrics: metrics)
    }

    /// Closes the HTTP ledgers' clients and the pool.
    public func shutdown() async {
        for ledger in httpLedgers { try? await ledger.shutdown() }
        await pool.shutdown()
    }
}
