import ArgumentParser
import Configuration
import Foundation
import Logging
import MariaDB
import Metrics
import RewardAPI
import RewardCore
import RewardOps
import RewardRuntime
import RewardSDK
import RewardSettlement
import RewardWallet
import ServiceLifecycle

/// The reward HTTP service: grants for activity services, the wallet page and withdrawals for
/// users behind the gateway. See openapi/reward-api.yaml.
@main
struct RewardAPICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reward-api",
        abstract: "Serve POST /v1/bonus, the wallet and withdrawals over HTTP.",
        discussion: """
            Settings: REWARD_* environment variables over the JSON file named by REWARD_CONFIG: db.*,
            kafka.clusters, sdk.*, tokens.*, catalog.path, api.host, api.port, api.maxBodyBytes,
            api.services (secret: "service-id:base64-secret,…"), api.gatewayKey (secret), api.userHeader.
            SIGTERM stops accepting, finishes requests in flight, shuts the SDK down and exits 0.
            """)

    @Option(help: "Port (default: api.port, else 8080; 0 picks a free one).")
    var port: Int?

    func run() async throws {
        ProcessLogging.bootstrapOnce(defaultLevel: .info)
        let registry = ProcessMetrics.bootstrapOnce()
        let logger = Logger(label: "reward-api")
        let config = try await RewardConfiguration.reader()

        var api = RewardAPIConfiguration()
        api.host = config.string(forKey: "api.host", default: api.host)
        api.port = port ?? config.int(forKey: "api.port", default: api.port)
        api.maximumBodyBytes = config.int(forKey: "api.maxBodyBytes", default: api.maximumBodyBytes)
        api.userHeader = config.string(forKey: "api.userHeader", default: api.userHeader)
        api.gatewayKey = config.string(forKey: "api.gatewayKey", isSecret: true)
        api.serviceSecrets = try Self.serviceSecrets(config.string(forKey: "api.services", isSecret: true) ?? "")

        let catalog = try RewardCatalog.load(from: config.string(forKey: "catalog.path", default: "ops/config/reward-types.json"))
        let keyRing = try TokenKeyRing(config: config.scoped(to: "tokens"))
        let pool = MariaDBPool(configuration: MariaDBConfiguration(config: config.scoped(to: "db")), logger: logger)
        let stores = WalletStores(single: pool)
        let engine = SettlementEngine(
            configuration: .init(), stores: stores.settlement,
            ledgers: LedgerDirectory(ledgers: [
                WalletLedger(shards: stores.settlement.wallet, logger: logger, metrics: MetricsSystem.factory),
                GoodsLedger(shards: stores.settlement.goods, logger: logger, metrics: MetricsSystem.factory),
            ]),
            catalog: catalog, logger: logger, metrics: MetricsSystem.factory)
        let client = try await RewardClient(configuration: RewardClientConfiguration(config: config), logger: logger,
                                            metrics: MetricsSystem.factory)
        let dependencies = RewardAPI.Dependencies(
            granter: client,
            wallet: WalletReader(stores: stores, catalog: catalog, logger: logger, metrics: MetricsSystem.factory),
            withdrawals: WithdrawalService(stores: stores, engine: engine, payout: PayoutLedger(shards: stores.settlement.wallet),
                                           catalog: catalog, keyRing: keyRing, logger: logger, metrics: MetricsSystem.factory),
            registry: registry,
            health: {
                let database = (try? await pool.query("SELECT 1 AS ok")) != nil
                return (database, ["database": database ? "ok" : "unreachable", "spoolDepth": "\(client.spoolDepth)"])
            })
        let host = api.host
        let server = RewardAPI(configuration: api, dependencies: dependencies, logger: logger) { port in
            print("reward-api: listening on \(host):\(port)")
        }
        // Reverse order on shutdown: the server stops taking requests before the SDK client stops.
        let group = ServiceGroup(services: [client, server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        do {
            try await group.run()
        } catch {
            logger.critical("reward-api stopped", metadata: ["error": "\(error)"])
            await pool.shutdown()
            throw error
        }
        await pool.shutdown()
    }

    /// `id:base64,id:base64` → secrets; each at least 32 bytes.
    static func serviceSecrets(_ text: String) throws(ConfigurationError) -> [String: [UInt8]] {
        var secrets: [String: [UInt8]] = [:]
        for entry in text.split(separator: ",") where !entry.isEmpty {
            let parts = entry.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let data = Data(base64Encoded: String(parts[1])), data.count >= 32 else {
                throw ConfigurationError(code: "api.invalid_service_secret",
                                         message: "api.services entries are service-id:base64 with at least 32 bytes")
            }
            secrets[String(parts[0])] = [UInt8](data)
        }
        return secrets
    }
}
