public import Kafka
public import MariaDB
public import RewardCore

/// Everything a ``RewardClient`` needs: where the clusters are, what may be granted, how tokens
/// are signed, where the spool lives, and how delivery and token recording behave.
///
/// Required values go through `init`; the rest have defaults sized for the 50 ms grant budget.
/// ``init(config:)`` reads the same settings from files and environment variables.
public struct RewardClientConfiguration: Sendable {
    /// One Kafka cluster that carries the dual topics.
    public struct Cluster: Sendable, Hashable {
        /// The name in metrics and logs (`A`, `B`); outcomes are `acked_<lowercased name>`.
        public var name: ClusterName
        /// Its brokers and how to reach them (TLS, SASL).
        public var connection: KafkaConnection
        /// `host:port` of its bootstrap brokers.
        public var bootstrapServers: [String] { connection.bootstrapServers }
        /// Its share of the traffic while every cluster is healthy (weights 3 and 1: 75 % and 25 %).
        /// Weight 0 takes traffic only when the others are out of rotation.
        public var weight: Int

        /// - Parameters:
        ///   - name: The cluster's name.
        ///   - connection: Its brokers and connection properties.
        ///   - weight: Its share of traffic; default 1.
        public init(name: ClusterName, connection: KafkaConnection, weight: Int = 1) {
            self.name = name
            self.connection = connection
            self.weight = weight
        }

        /// A cluster reached in plaintext at `bootstrapServers` (the mock clusters).
        public init(name: ClusterName, bootstrapServers: [String], weight: Int = 1) {
            self.init(name: name, connection: KafkaConnection(bootstrapServers: bootstrapServers), weight: weight)
        }
    }

    /// Deadlines, failover and producer settings (the rule: docs/architecture.md, "Latency-aware delivery").
    public struct DeliveryOptions: Sendable {
        /// The most ``RewardClient/sendBonus(activity:user:bonus:orderID:)`` takes, spool included:
        /// a spool write that cannot finish by then answers `not_durable` with the token. Default 50 ms.
        public var promise: Duration = .milliseconds(50)
        /// The part of the promise a grant spends waiting for clusters before it goes to the spool.
        /// Default 40 ms, which leaves 10 ms for the spool's sync.
        public var budget: Duration = .milliseconds(40)
        /// A grant goes to a second cluster when the first has not acknowledged after
        /// `hedgeFactor × p99` of that cluster's recent acknowledgements, but never before
        /// `hedgeFloor` (nor after half the budget). Defaults 10 ms and 1.5.
        public var hedgeFloor: Duration = .milliseconds(10)
        public var hedgeFactor: Double = 1.5
        /// How long ``RewardClient/start(timeout:)`` waits for the clusters by default. Default 10 s.
        public var readinessTimeout: Duration = .seconds(10)
        /// Failures (errors or grants that got no acknowledgement within the whole budget), more
        /// than the successes since the first of them, that take a cluster out of rotation when it
        /// is also silent or another cluster in rotation answers in time clearly more often.
        /// Default 3.
        public var failureThreshold: Int = 3
        /// How long such a streak must last, so a momentary stall does not take a healthy cluster
        /// out (its in-flight attempts all miss the deadline at once). Default 50 ms.
        public var failingTime: Duration = .milliseconds(50)
        /// How long a cluster stays out before one probe is let through. Default 1 s.
        public var coolDown: Duration = .seconds(1)
        /// The producers' `linger.ms`: the floor of acknowledgement latency, traded for batching.
        /// Default 5 ms (in the benchmark 2 ms gave ~15 % fewer grants/s and no better p50 under load).
        public var linger: Duration = .milliseconds(5)
        /// Records per spool replay batch. Default 1,000.
        public var replayBatchSize: Int = 1_000
        /// How long a replay batch may take to be acknowledged before it is retried. Default 2 s.
        public var replayAcknowledgementTimeout: Duration = .seconds(2)
        /// How often the replayer looks for work while idle, and waits after a failure. Default 100 ms / 500 ms.
        public var replayIdleInterval: Duration = .milliseconds(100)
        public var replayRetryInterval: Duration = .milliseconds(500)
        /// How long ``RewardClient/shutdown()`` lets the producers flush late duplicates. Default 5 s.
        public var shutdownFlushTimeout: Duration = .seconds(5)
        /// Further librdkafka producer properties (the guarantees `acks=all` and idempotence cannot be changed).
        public var producerProperties: [String: String] = [
            // Find a cluster that came back within a second instead of librdkafka's 10 s backoff ceiling.
            "reconnect.backoff.ms": "50",
            "reconnect.backoff.max.ms": "1000",
            // Connect to every broker at start, not on the first record for a partition it leads:
            // the first grants must not pay for discovering the cluster.
            "enable.sparse.connections": "false",
        ]

        public init() {}
    }

    /// The local durable spool.
    public struct SpoolOptions: Sendable {
        /// The directory; one live process per directory (it is locked).
        public var directory: String
        /// A segment is sealed (and can be replayed and deleted) once it reaches this size. Default 16 MiB.
        public var segmentBytes: Int = 16 << 20
        /// Test hooks (a full disk, a failing sync); empty in production.
        var faults = SpoolFaults.none

        public init(directory: String) {
            self.directory = directory
        }
    }

    /// Recording tokens in `reward_tokens` for the wallet view.
    public struct TokenRecordingOptions: Sendable {
        /// The database holding `reward_tokens` (the pool's size bounds concurrent batches).
        public var database: MariaDBConfiguration
        /// The most rows per `INSERT` (rounded down to a power of two). Default 256.
        public var batchSize: Int = 256
        /// How long a partial batch waits for more rows. Default 5 ms.
        public var flushInterval: Duration = .milliseconds(5)
        /// Rows held in memory at most; beyond it rows are dropped (consumers record them). Default 200,000.
        public var queueCapacity: Int = 200_000
        /// Tries per batch before its rows are dropped. Default 5.
        public var maximumAttempts: Int = 5
        /// Wait before the first retry, doubled each time up to ``maximumBackoff``. Default 50 ms / 2 s.
        public var initialBackoff: Duration = .milliseconds(50)
        public var maximumBackoff: Duration = .seconds(2)
        /// Batches written concurrently. Default 2.
        public var writers: Int = 2

        public init(database: MariaDBConfiguration) {
            self.database = database
        }
    }

    /// The clusters, in the order of their ``Cluster/weight``s' round robin.
    public var clusters: [Cluster]
    /// The reward types that may be granted.
    public var catalog: RewardCatalog
    /// Signs the tokens ``RewardClient/sendBonus(activity:user:bonus:orderID:)`` returns.
    public var keyRing: TokenKeyRing
    public var spool: SpoolOptions
    public var delivery = DeliveryOptions()
    /// `nil` (the default): tokens are not recorded by the SDK, only carried in the events.
    public var tokenRecording: TokenRecordingOptions?
    /// The control database whose live switches (`type:<id>`, `activity:<id>`) the client
    /// applies within 2 s (see `ControlWatcher`); `nil` (the default): only the catalog's switches.
    public var controls: MariaDBConfiguration?
    /// Topic names are this prefix and the lane: `reward-cash`, `reward-goods`.
    public var topicPrefix = "reward-"
    /// The activity service this host is, recorded with each grant's token (`granted_by`) unless a
    /// grant names another (reward-api grants on behalf of the service that signed the request).
    public var serviceID: String?

    /// - Parameters:
    ///   - clusters: The clusters to deliver to (usually A and B).
    ///   - catalog: The reward types.
    ///   - keyRing: The token keys.
    ///   - spoolDirectory: Where the durable spool lives.
    public init(clusters: [Cluster], catalog: RewardCatalog, keyRing: TokenKeyRing, spoolDirectory: String) {
        self.clusters = clusters
        self.catalog = catalog
        self.keyRing = keyRing
        self.spool = SpoolOptions(directory: spoolDirectory)
    }

    /// The topic a lane's events go to.
    public func topic(for lane: Lane) -> String { topicPrefix + lane.rawValue }

    /// - Throws: `ConfigurationError` naming the first setting that cannot work.
    func validate() throws(ConfigurationError) {
        guard !clusters.isEmpty, clusters.count <= 64 else {
            throw ConfigurationError(code: "sdk.clusters", message: "between 1 and 64 clusters are needed, got \(clusters.count)")
        }
        guard Set(clusters.map(\.name)).count == clusters.count else {
            throw ConfigurationError(code: "sdk.clusters", message: "cluster names repeat: \(clusters.map(\.name))")
        }
        guard clusters.allSatisfy({ $0.weight >= 0 }), clusters.contains(where: { $0.weight > 0 }) else {
            throw ConfigurationError(code: "sdk.weights", message: "weights must be ≥ 0 and at least one > 0")
        }
        for cluster in clusters where cluster.bootstrapServers.isEmpty {
            throw ConfigurationError(code: "sdk.clusters", message: "cluster \(cluster.name) has no bootstrap servers")
        }
        guard delivery.hedgeFloor > .zero, delivery.budget >= delivery.hedgeFloor, delivery.promise >= delivery.budget,
              delivery.promise <= .seconds(60), delivery.hedgeFactor >= 1, delivery.hedgeFactor <= 10,
              delivery.readinessTimeout > .zero
        else {
            throw ConfigurationError(code: "sdk.delivery", message: """
                need 0 < hedgeFloor <= budget <= promise <= 60 s, 1 <= hedgeFactor <= 10 and a positive readinessTimeout
                """)
        }
        guard delivery.failureThreshold >= 1, delivery.replayBatchSize >= 1 else {
            throw ConfigurationError(code: "sdk.delivery", message: "failureThreshold and replayBatchSize must be ≥ 1")
        }
        if let serviceID, !GrantValidation.isIdentifier(serviceID) {
            throw ConfigurationError(code: "sdk.serviceID", message: "sdk.serviceID is 1-64 letters, digits, '-', '_' or '.'")
        }
        guard !spool.directory.isEmpty, spool.segmentBytes >= 4096 else {
            throw ConfigurationError(code: "sdk.spool", message: "the spool needs a directory and segments of at least 4 KiB")
        }
    }
}
