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
            api.services (secret: "service-id:base64-secret,…"), api.scopesFile (what each service may grant),
            api.gatewayKey (secret; required unless REWARD_MODE=development), api.userHeader.
            SIGTERM stops accepting, finishes requests in flight, shuts the SDK down and exits 0.
            """,
        version: RewardVersion.current)

    @Option(help: "Port (default: api.port, else 8080; 0 picks a free one).")
    var port: Int?

    func run() async throws {
        ProcessLogging.bootstrapOnce(defaultLevel: .info)
        let registry = ProcessMetrics.bootstrapOnce()
        let logger = Logger(label: "reward-api")
        let config = try await RewardConfiguration.reader()

        var api = try RewardAPIConfiguration(config: config)
        if let port { api.port = port }

        let catalog = try RewardCatalog.load(from: config.string(forKey: "catalog.path", default: "ops/config/reward-types.json"))
        let keyRing = try TokenKeyRing(config: config)
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
        let health: @Sendable () async -> (healthy: Bool, details: [String: String]) = {
            let database = (try? await pool.query("SELECT 1 AS ok")) != nil
            return (database, ["database": database ? "ok" : "unreachable", "spoolDepth": "\(client.spoolDepth)", "version": RewardVersion.current])
        }
        let dependencies = RewardAPI.Dependencies(
            granter: client,
            wallet: WalletReader(stores: stores, catalog: catalog, logger: logger, metrics: MetricsSystem.factory),
            withdrawals: WithdrawalService(stores: stores, engine: engine, payout: PayoutLedger(shards: stores.settlement.wallet),
                                           catalog: catalog, keyRing: keyRing, logger: logger, metrics: MetricsSystem.factory),
            registry: registry,
            // The SDK client's view of the controls: one poll serves grants, withdrawals and the wallet.
            controls: client.controls,
            health: health,
            // Ready once the client has started (the service group starts it beside the server).
            readiness: client.readiness(health: health))
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
}
