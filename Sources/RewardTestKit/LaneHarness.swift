import Foundation
public import Kafka
public import Logging
import MariaDB
import Metrics
public import MetricsTestKit
public import RewardConsumer
public import RewardCore
import RewardOps
public import RewardSettlement
public import ServiceLifecycle

/// Two in-process clusters (A and B) holding the repository's lane topics, a key ring, and
/// helpers to grant, produce and run lane consumers against a migrated test database.
public final class LaneHarness: Sendable {
    public static let keyRing = try! TokenKeyRing(keys: [1: [UInt8](repeating: 42, count: 32)], currentKeyID: 1)

    public let clusters: [ClusterName: TestKafkaCluster]
    public let logger: Logger

    /// `logLevel` overrides the test default for tests that provoke thousands of expected warnings.
    public init(logLevel: Logger.Level? = nil) throws {
        logger = makeTestLogger("lanes", level: logLevel)
        var clusters: [ClusterName: TestKafkaCluster] = [:]
        for name in [ClusterName.a, .b] {
            let cluster = try TestKafkaCluster(name: name.rawValue)
            for definition in try TopicDefinition.load(directory: "\(TestEnvironment.repositoryRoot)/topics", cluster: name) {
                try cluster.cluster.createTopic(definition.name, partitions: definition.partitions, replicationFactor: 3)
            }
            clusters[name] = cluster
        }
        self.clusters = clusters
    }

    public func cluster(_ name: ClusterName) -> TestKafkaCluster { clusters[name]! }

    /// Writes a cluster directory file naming A and B, for child processes.
    public func writeDirectory(to path: String) throws {
        try ClusterDirectory(clusters: Dictionary(uniqueKeysWithValues: clusters.map {
            ($0.key.rawValue, ClusterDirectory.Entry(bootstrapServers: $0.value.cluster.bootstrapServers))
        })).write(to: path)
    }

    /// A grant as the SDK builds it, with a genuine token.
    public static func grant(order: String, user: String, type: String = "cash_red_envelope", amount: Int64,
                      lane: Lane = .cash, activity: String = "fest") -> BonusEvent {
        TestGrants.event(order: order, user: user, type: type, amount: amount, activity: activity, lane: lane,
                         grantedAt: Date(timeIntervalSince1970: 1_795_000_000))
    }

    /// Produces raw records and waits until the cluster acknowledged all of them.
    public func produce(_ records: [(key: [UInt8]?, value: [UInt8]?)], to cluster: ClusterName, topic: String) async throws {
        try await produce(records.map { KafkaProducerMessage(topic: topic, key: $0.key, value: $0.value) }, to: cluster)
    }

    /// Produces messages as given (fixed partitions, any headers: what a hostile producer could send).
    public func produce(_ messages: [KafkaProducerMessage], to cluster: ClusterName) async throws {
        let producer = try KafkaProducer(configuration: self.cluster(cluster).producerConfiguration(), logger: logger)
        let failures = TestBox(0)
        for message in messages {
            try producer.send(message) { result in
                if case .failure = result { failures.withLock { $0 += 1 } }
            }
        }
        let flushed = await producer.flush(timeout: .seconds(60))
        await producer.shutdown()
        guard flushed, failures.value == 0 else { throw DeadlineExceeded(what: "producing \(messages.count) records") }
    }

    public func produce(_ events: [BonusEvent], to cluster: ClusterName, topic: String) async throws {
        try await produce(events.map { ($0.key, $0.encoded()) }, to: cluster, topic: topic)
    }

    /// Every record on a topic (all partitions), read from the start.
    public func readAll(_ cluster: ClusterName, topic: String, expecting count: Int) async throws -> [KafkaConsumerMessage] {
        try await readAll(cluster, topic: topic, description: "\(count) records") { $0.count >= count }
    }

    /// Reads `topic` from the start until `done` holds for what was read (a topic written at least
    /// once, such as a dead-letter topic after a redelivery, may hold copies).
    public func readAll(_ cluster: ClusterName, topic: String, description: String,
                        until done: @escaping @Sendable ([KafkaConsumerMessage]) -> Bool) async throws -> [KafkaConsumerMessage] {
        let kafka = self.cluster(cluster)
        let partitions = try await KafkaAdmin(bootstrapServers: kafka.bootstrapServers, logger: logger)
            .describeTopics([topic]).first?.partitions.map(\.id) ?? []
        let consumer = try KafkaConsumer(configuration: kafka.consumerConfiguration(group: uniqueTestName("reader")), logger: logger)
        try consumer.assign(Dictionary(uniqueKeysWithValues: partitions.map { (KafkaTopicPartition(topic: topic, partition: $0), Int64(0)) }))
        defer { Task { await consumer.close() } }
        return try await withDeadline(.seconds(60), "reading \(description) from \(topic)") {
            var messages: [KafkaConsumerMessage] = []
            guard !done(messages) else { return messages }
            for try await message in consumer.messages {
                messages.append(message)
                if done(messages) { break }
            }
            return messages
        }
    }

    /// A lane consumer for `cluster`'s `lane`, settling into `fixture`'s database.
    public func lane(_ cluster: ClusterName, _ lane: Lane, fixture: SettlementFixture, settings: ConsumerSettings = ConsumerSettings(),
              rates: RateLimitConfiguration = RateLimitConfiguration(), extraLedgers: [any Ledger] = [],
              metrics: TestMetrics = TestMetrics(), keyRing: TokenKeyRing = LaneHarness.keyRing) throws -> LaneConsumer {
        let kafka = self.cluster(cluster)
        let definitions = try TopicDefinition.load(directory: "\(TestEnvironment.repositoryRoot)/topics", cluster: cluster)
        let topics = LaneConsumer.Topics(
            main: TopicDefinition.find(definitions, lane: lane, role: .main)!.name,
            retry: TopicDefinition.find(definitions, lane: lane, role: .retry)!.name,
            deadLetter: TopicDefinition.find(definitions, lane: lane, role: .deadLetter)!.name)
        var consumerConfiguration = kafka.consumerConfiguration(group: "reward-consumer-\(cluster)-\(lane)")
        consumerConfiguration.clientID = "test-lane-\(cluster)-\(lane)"
        return LaneConsumer(
            consumer: try KafkaConsumer(configuration: consumerConfiguration, logger: logger),
            producer: try RenewingProducer(logger: logger) { [logger] () throws(KafkaError) in
                try KafkaProducer(configuration: kafka.producerConfiguration(clientID: "test-parking"), logger: logger)
            },
            topics: topics, cluster: cluster.rawValue,
            verifier: RecordVerifier(catalog: fixture.catalog, keyRing: keyRing, lane: lane),
            // Conflicts are logged at error level by design; keep test output to what failed.
            engine: fixture.engine(extra: extraLedgers, logger: Logger(label: "engine") { _ in SwiftLogNoOpLogHandler() }),
            limiter: try RewardRateLimiter(configuration: rates, catalog: fixture.catalog, logger: logger, metrics: metrics),
            stores: ConsumerStores(deadLetters: fixture.pool, tokens: fixture.pool), settings: settings,
            metrics: ConsumerMetrics(factory: metrics, cluster: cluster.rawValue, lane: lane.rawValue), logger: logger)
    }
}

/// Runs services (lane consumers) until told to stop gracefully, as SIGTERM would.
public final class RunningServices: Sendable {
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    public init(_ services: [any Service], logger: Logger) {
        let group = ServiceGroup(configuration: .init(services: services, logger: logger))
        self.group = group
        self.task = Task { try await group.run() }
    }

    /// Triggers graceful shutdown and waits for every service to end; rethrows a service's error.
    public func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }

    /// Waits for the services to end by themselves (one threw).
    public func result() async -> Result<Void, any Error> {
        await task.result
    }
}
