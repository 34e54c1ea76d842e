public import Logging
public import MariaDB
public import RewardCore

/// Where the page's figures come from: the stores, the cluster directory (Kafka admin), the
/// catalog and rate-limits file the consumers read, and the key ring a replay would verify with.
public struct ConsoleSources: Sendable {
    public var pool: MariaDBPool
    /// Re-read per page, so clusters that moved are followed (`kafka.clusters`).
    public var clustersPath: String
    public var topicsDirectory: String
    public var catalog: RewardCatalog
    /// Re-read per page, as consumers re-read it while running (`rates.path`).
    public var rateLimitsPath: String
    public var keyRing: TokenKeyRing
    public var logger: Logger

    public init(pool: MariaDBPool, clustersPath: String, topicsDirectory: String, catalog: RewardCatalog, rateLimitsPath: String,
                keyRing: TokenKeyRing, logger: Logger) {
        self.pool = pool
        self.clustersPath = clustersPath
        self.topicsDirectory = topicsDirectory
        self.catalog = catalog
        self.rateLimitsPath = rateLimitsPath
        self.keyRing = keyRing
        self.logger = logger
    }
}
