import Configuration
import Foundation
import Kafka
import Logging
import MariaDB
import Metrics
import RewardConsumer
import RewardCore
import RewardOps
import RewardSettlement
import RewardStores

/// Builds one lane consumer's parts from settings: stores, ledgers, limiter, engine, clients.
struct ConsumerWiring: Sendable {
    let cluster: ClusterName
    let lane: Lane
    let topics: LaneConsumer.Topics
    let stores: SettlementStores
    let limiter: RewardRateLimiter
    let ratesPath: String
    let rates: LiveRates
    let controls: ControlStore
    let laneConsumer: LaneConsumer
    private let pool: MariaDBPool
    private let coordination: MariaDBPool
    private let controlPool: MariaDBPool
    /// `/healthz`'s database probe, on a connection of its own (never queued behind batches).
    let healthPool: MariaDBPool
    private let producer: RenewingProducer
    private let httpLedgers: [HTTPLedger]

    init(cluster: ClusterName, topic: String, topicsDirectory: String, config: ConfigReader, logger: Logger) async throws {
        let definitions = try TopicDefinition.load(directory: topicsDirectory, cluster: cluster)
        guard let main = definitions.first(where: { $0.name == topic && $0.role == .main }),
              let retry = TopicDefinition.find(definitions, lane: main.lane, role: .retry),
              let deadLetter = TopicDefinition.find(definitions, lane: main.lane, role: .deadLetter)
        else {
            throw ConfigurationError(code: "consumer.unknown_topic",
                                     message: "\(topic) is not a main lane topic of cluster \(cluster) in \(topicsDirectory)")
        }
        self.cluster = cluster
        self.lane = main.lane
        self.topics = LaneConsumer.Topics(main: main.name, retry: retry.name, deadLetter: deadLetter.name)

        let catalog = try RewardCatalog.load(from: config.string(forKey: "catalog.path", default: "ops/config/reward-types.json"))
        let keyRing = try TokenKeyRing(config: config)
        var database = MariaDBConfiguration(config: config.scoped(to: "db"))
        // Settlement runs at READ COMMITTED; set once per connection, not per transaction (a
        // batch's three transactions each paid a `SET TRANSACTION` round trip).
        if database.transactionIsolation == nil { database.transactionIsolation = .readCommitted }
        let pool = MariaDBPool(configuration: database, logger: logger)
        self.pool = pool
        // The rate lease heartbeat gets a connection of its own: queued behind settlement batches
        // on the shared pool it came late under load, and a late heartbeat fences the instance
        // (share 0, then the 2 s join window again). Waiting longer than a heartbeat interval for
        // it is a failed heartbeat, which is what the fence is for.
        var leases = database
        leases.pool.maxConnections = 1
        leases.pool.acquireTimeout = .seconds(1)
        coordination = MariaDBPool(configuration: leases, logger: logger)
        // The control poll too: a switch must apply within 2 s also while settlement is busy.
        controlPool = MariaDBPool(configuration: leases, logger: logger)
        controls = ControlStore(pool: controlPool)
        healthPool = MariaDBPool(configuration: leases, logger: logger)
        let one = ShardedPool([pool])
        self.stores = SettlementStores(claims: one, wallet: one, budgets: one, goods: one, coordination: coordination)

        ratesPath = config.string(forKey: "rates.path", default: "ops/config/rate-limits.json")
        let rates = try RateLimitConfiguration.load(from: ratesPath)
        limiter = try RewardRateLimiter(configuration: rates, catalog: catalog, logger: logger, metrics: MetricsSystem.factory)
        self.rates = LiveRates(limiter: limiter, file: rates, logger: logger)

        var ledgers: [any Ledger] = [
            WalletLedger(shards: stores.wallet, logger: logger, metrics: MetricsSystem.factory),
            GoodsLedger(shards: stores.goods, logger: logger, metrics: MetricsSystem.factory),
        ]
        var httpLedgers: [HTTPLedger] = []
        for name in Set(catalog.types.values.compactMap { $0.ledger.hasPrefix("http:") ? String($0.ledger.dropFirst(5)) : nil })
            where catalog.types.values.contains(where: { $0.ledger == "http:\(name)" && $0.lane == main.lane }) {
            guard let url = config.string(forKey: ConfigKey("ledgers.\(name).url")) else {
                throw ConfigurationError(code: "consumer.ledger_url_missing",
                                         message: "ledger http:\(name) has no ledgers.\(name).url setting")
            }
            var configuration = HTTPLedger.Configuration(baseURL: url)
            configuration.rateLimiter = limiter
            let ledger = HTTPLedger(name: name, configuration: configuration, logger: logger, metrics: MetricsSystem.factory)
            httpLedgers.append(ledger)
            ledgers.append(ledger)
        }
        self.httpLedgers = httpLedgers
        let engine = SettlementEngine(configuration: .init(), stores: stores, ledgers: LedgerDirectory(ledgers: ledgers),
                                      catalog: catalog, logger: logger, metrics: MetricsSystem.factory)

        let connection = try ClusterDirectory.load(from: config.string(forKey: "kafka.clusters", default: ClusterDirectory.defaultPath))
            .connection(cluster)
        var producerConfiguration = KafkaProducerConfiguration(connection: connection)
        producerConfiguration.clientID = "reward-consumer-\(cluster)-\(main.lane)-parking"
        producer = try RenewingProducer(logger: logger) { [producerConfiguration] () throws(KafkaError) in
            try KafkaProducer(configuration: producerConfiguration, logger: logger)
        }
        var consumerConfiguration = KafkaConsumerConfiguration(
            connection: connection, groupID: "reward-consumer-\(cluster)-\(main.lane)")
        consumerConfiguration.clientID = "reward-consumer-\(cluster)-\(main.lane)"
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, logger: logger)

        var settings = ConsumerSettings()
        settings.batchSize = config.int(forKey: "consumer.batchSize", default: settings.batchSize)
        settings.maximumInFlight = config.int(forKey: "consumer.maximumInFlight", default: settings.maximumInFlight)
        settings.maximumInFlightBytes = config.int(forKey: "consumer.maximumInFlightBytes", default: settings.maximumInFlightBytes)
        settings.retryTopicDelay = .milliseconds(config.int(forKey: "consumer.retryTopicDelayMs", default: 5_000))
        guard (1...10_000_000).contains(settings.maximumInFlight), (1 << 16...(16 << 30)).contains(settings.maximumInFlightBytes),
              (1...10_000).contains(settings.batchSize)
        else {
            throw ConfigurationError(code: "consumer.invalid_limits", message: """
                consumer.batchSize (1-10,000), consumer.maximumInFlight (1-10,000,000) and consumer.maximumInFlightBytes \
                (64 KiB-16 GiB) must be in range
                """)
        }
        laneConsumer = LaneConsumer(
            consumer: consumer, producer: producer, topics: topics, cluster: cluster.rawValue,
            verifier: RecordVerifier(catalog: catalog, keyRing: keyRing, lane: main.lane), engine: engine, limiter: limiter,
            stores: ConsumerStores(deadLetters: pool, tokens: pool), settings: settings,
            metrics: ConsumerMetrics(factory: MetricsSystem.factory, cluster: cluster.rawValue, lane: main.lane.rawValue),
            logger: logger)
    }

    /// Flushes the parking producer and closes clients, after the lane has stopped.
    func shutdown() async {
        await producer.shutdown()
        for ledger in httpLedgers { try? await ledger.shutdown() }
        await pool.shutdown()
        await coordination.shutdown()
        await controlPool.shutdown()
        await healthPool.shutdown()
    }
}
