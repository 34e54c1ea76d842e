public import Configuration
import Foundation
public import Kafka
import MariaDB
public import RewardCore

extension RewardClientConfiguration {
    /// Reads the client's settings (see `RewardConfiguration.reader()`: `REWARD_*` environment
    /// variables over the JSON file named by `REWARD_CONFIG`).
    ///
    /// ## Configuration keys
    /// - `kafka.clusters` (string, default `REWARD_KAFKA_CLUSTERS` or `.local/kafka-clusters.json`):
    ///   the cluster directory file; bootstrap servers come from it.
    /// - `sdk.clusters` (string, default `A,B`): the clusters to use, by name in the directory.
    /// - `sdk.weights` (string, default equal): traffic shares, e.g. `A:3,B:1`.
    /// - `sdk.catalog` (string, default `ops/config/reward-types.json`): the reward type catalog.
    /// - `sdk.topicPrefix` (string, default `reward-`).
    /// - `tokens.keys` (string, **secret**, required): `1:<base64>,2:<base64>`, keys ≥ 32 bytes.
    /// - `tokens.currentKeyID` (int, required): the key new tokens are signed with.
    /// - `tokens.lifetimeSeconds` (int, default 30 days).
    /// - `sdk.spool.directory` (string, default `.local/spool`), `sdk.spool.segmentBytes` (int).
    /// - `sdk.serviceID` (string): this host's activity service, recorded with its grants.
    /// - `sdk.delivery.promiseMs` (50), `sdk.delivery.budgetMs` (40), `sdk.delivery.hedgeFloorMs` (10),
    ///   `sdk.delivery.hedgeFactor` (1.5), `sdk.delivery.readinessTimeoutMs` (10000),
    ///   `sdk.delivery.failureThreshold` (3), `sdk.delivery.failingTimeMs` (50), `sdk.delivery.coolDownMs` (1000),
    ///   `sdk.delivery.lingerMs` (5), `sdk.delivery.replayBatchSize` (1000),
    ///   `sdk.delivery.replayAckTimeoutMs` (2000).
    /// - `sdk.recorder.enabled` (bool, default: on when `db.name` is set): record tokens in
    ///   `reward_tokens` of the `db` settings (see `MariaDBConfiguration(config:)`);
    ///   `sdk.recorder.batchSize` (256), `sdk.recorder.flushIntervalMs` (5),
    ///   `sdk.recorder.queueCapacity` (200000), `sdk.recorder.maximumAttempts` (5),
    ///   `sdk.recorder.writers` (2).
    /// - `sdk.controls.enabled` (bool, default: on when `db.name` is set): apply the operators'
    ///   live switches from the `controls` table of the `db` settings.
    ///
    /// - Parameter config: The settings.
    /// - Throws: `ConfigurationError` for a missing or invalid setting or file; messages never
    ///   contain key material.
    public init(config: ConfigReader) throws(ConfigurationError) {
        let directory = try ClusterDirectory.load(
            from: config.string(forKey: "kafka.clusters", default: ClusterDirectory.defaultPath))
        let names = config.string(forKey: "sdk.clusters", default: "A,B").split(separator: ",")
            .map { ClusterName(rawValue: $0.trimmingCharacters(in: .whitespaces)) }
        let weights = try Self.weights(config.string(forKey: "sdk.weights", default: ""))
        var clusters: [Cluster] = []
        for name in names {
            clusters.append(Cluster(name: name, connection: try Self.connection(name, in: directory), weight: weights[name] ?? 1))
        }
        let catalog = try RewardCatalog.load(from: config.string(forKey: "sdk.catalog", default: "ops/config/reward-types.json"))

        let keyRing = try TokenKeyRing(config: config)

        self.init(clusters: clusters, catalog: catalog, keyRing: keyRing,
                  spoolDirectory: config.string(forKey: "sdk.spool.directory", default: ".local/spool"))
        spool.segmentBytes = config.int(forKey: "sdk.spool.segmentBytes", default: spool.segmentBytes)
        topicPrefix = config.string(forKey: "sdk.topicPrefix", default: topicPrefix)
        serviceID = config.string(forKey: "sdk.serviceID")

        let d = config.scoped(to: "sdk.delivery")
        delivery.promise = d.milliseconds("promiseMs", default: delivery.promise)
        delivery.budget = d.milliseconds("budgetMs", default: delivery.budget)
        delivery.hedgeFloor = d.milliseconds("hedgeFloorMs", default: delivery.hedgeFloor)
        delivery.hedgeFactor = d.double(forKey: "hedgeFactor", default: delivery.hedgeFactor)
        delivery.readinessTimeout = d.milliseconds("readinessTimeoutMs", default: delivery.readinessTimeout)
        delivery.failureThreshold = d.int(forKey: "failureThreshold", default: delivery.failureThreshold)
        delivery.failingTime = d.milliseconds("failingTimeMs", default: delivery.failingTime)
        delivery.coolDown = d.milliseconds("coolDownMs", default: delivery.coolDown)
        delivery.linger = d.milliseconds("lingerMs", default: delivery.linger)
        delivery.replayBatchSize = d.int(forKey: "replayBatchSize", default: delivery.replayBatchSize)
        delivery.replayAcknowledgementTimeout = d.milliseconds("replayAckTimeoutMs", default: delivery.replayAcknowledgementTimeout)

        let recorderOn = config.bool(forKey: "sdk.recorder.enabled", default: config.string(forKey: "db.name") != nil)
        if recorderOn {
            var recording = TokenRecordingOptions(database: MariaDBConfiguration(config: config.scoped(to: "db")))
            let r = config.scoped(to: "sdk.recorder")
            recording.batchSize = r.int(forKey: "batchSize", default: recording.batchSize)
            recording.flushInterval = r.milliseconds("flushIntervalMs", default: recording.flushInterval)
            recording.queueCapacity = r.int(forKey: "queueCapacity", default: recording.queueCapacity)
            recording.maximumAttempts = r.int(forKey: "maximumAttempts", default: recording.maximumAttempts)
            recording.writers = r.int(forKey: "writers", default: recording.writers)
            tokenRecording = recording
        }
        if config.bool(forKey: "sdk.controls.enabled", default: config.string(forKey: "db.name") != nil) {
            controls = MariaDBConfiguration(config: config.scoped(to: "db"))
        }
        try validate()
    }

    /// Parses `A:3,B:1`.
    /// The SDK's own path from the directory to a connection (RewardOps has the tools'; the SDK
    /// does not link the tools): brokers always with their security properties.
    public static func connection(_ name: ClusterName, in directory: ClusterDirectory) throws(ConfigurationError) -> KafkaConnection {
        let settings = try directory.entry(name).clientSettings()
        do {
            return try KafkaConnection(bootstrapServers: settings.bootstrapServers, properties: settings.properties,
                                       secretFiles: settings.secretFiles)
        } catch {
            throw ConfigurationError(code: "clusters.connection_invalid", message: "cluster \(name): \(error.message)")
        }
    }

    static func weights(_ text: String) throws(ConfigurationError) -> [ClusterName: Int] {
        var weights: [ClusterName: Int] = [:]
        for entry in text.split(separator: ",") {
            let parts = entry.split(separator: ":")
            guard parts.count == 2, let weight = Int(parts[1].trimmingCharacters(in: .whitespaces)), weight >= 0 else {
                throw ConfigurationError(code: "sdk.weights", message: "sdk.weights entry '\(entry)' is not <cluster>:<weight ≥ 0>")
            }
            weights[ClusterName(rawValue: parts[0].trimmingCharacters(in: .whitespaces))] = weight
        }
        return weights
    }
}

extension ConfigReader {
    fileprivate func milliseconds(_ key: String, default value: Duration) -> Duration {
        .milliseconds(int(forKey: ConfigKey(key), default: Int(value.wholeMilliseconds)))
    }
}
