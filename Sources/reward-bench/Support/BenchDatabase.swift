import Configuration
import Foundation
import Logging
import MariaDB
import RewardCore
import RewardOps

/// A database of its own for one benchmark run: created and migrated at the start, dropped at the end.
struct BenchDatabase {
    let name: String
    let pool: MariaDBPool
    private let server: MariaDBConfiguration
    private let logger: Logger

    /// Creates `reward_bench_<random>` on the server the REWARD_DB_* settings name and applies the migrations.
    static func create(migrations directory: String, maxConnections: Int, logger: Logger) async throws -> BenchDatabase {
        let reader = try await RewardConfiguration.reader()
        var server = MariaDBConfiguration(config: reader.scoped(to: "db"))
        server.database = nil
        let name = "reward_bench_\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
        let admin = try await MariaDBConnection.connect(configuration: server, logger: logger)
        do {
            try await admin.executeScript("CREATE DATABASE `\(name)` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        } catch {
            await admin.close()
            throw error
        }
        await admin.close()
        var configuration = server
        configuration.database = name
        configuration.pool.maxConnections = maxConnections
        configuration.transactionIsolation = .readCommitted  // what settlement runs at; saves a round trip per transaction
        let database = BenchDatabase(name: name, pool: MariaDBPool(configuration: configuration, logger: logger), server: server, logger: logger)
        do {
            let files = try MigrationFile.load(directory: directory)
            _ = try await MigrationRunner(pool: database.pool, logger: logger).migrate(files)
        } catch {
            await database.drop()
            throw error
        }
        return database
    }

    /// Creates the database, runs `body` on it, and drops it again whatever `body` does.
    static func with(migrations directory: String, maxConnections: Int, logger: Logger,
                     _ body: (BenchDatabase) async throws -> Void) async throws {
        let database = try await create(migrations: directory, maxConnections: maxConnections, logger: logger)
        do {
            try await body(database)
            await database.drop()
        } catch {
            await database.drop()
            throw error
        }
    }

    /// The one reward type the settlement benchmarks credit: cash into the wallet.
    static func cashCatalog() throws -> RewardCatalog {
        try RewardCatalog(types: [RewardType(id: "cash_bench", lane: .cash, ledger: "wallet", unit: "CNY", minimumAmount: 1,
                                             maximumAmount: 88_800, displayName: "bench cash")])
    }

    /// Shuts the pool down and drops the database.
    func drop() async {
        await pool.shutdown()
        do {
            let admin = try await MariaDBConnection.connect(configuration: server, logger: logger)
            try? await admin.executeScript("DROP DATABASE IF EXISTS `\(name)`")
            await admin.close()
        } catch {
            logger.warning("could not drop the benchmark database", metadata: ["database": "\(name)", "error": "\(error)"])
        }
    }
}
