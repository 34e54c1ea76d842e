public import Foundation
public import Kafka
public import Logging
import RewardConsumer
public import RewardCore

/// The lane topics as the grant log of last resort: every grant the SDK accepted is a record on
/// a lane topic of some cluster, whether or not its token was recorded and whatever a consumer
/// did with it (an offset reset can skip records no one then reads). Reads each lane topic of each
/// cluster from the first record written at or after the range's start (offsets for times; from
/// the log start where the brokers answer no time, as librdkafka's mock clusters) to the log end
/// at the start of the scan, and keeps the events granted in the range whose token verifies
/// (a forged record is no grant).
public struct GrantLogScan: Sendable {
    /// One cluster's lane topics.
    public struct Source: Sendable {
        public var cluster: ClusterName
        public var connection: KafkaConnection
        /// Main lane topics and their lanes.
        public var topics: [(name: String, lane: Lane)]

        public init(cluster: ClusterName, connection: KafkaConnection, topics: [(name: String, lane: Lane)]) {
            self.cluster = cluster
            self.connection = connection
            self.topics = topics
        }
    }

    /// What a scan found.
    public struct Result: Sendable, Codable {
        /// Verified grants of the range by order id (a grant sent to both clusters counts once).
        var grants: [String: ReconciliationSources.Grant] = [:]
        /// Of them, those the tokens store did not have (set by the reconciler).
        public var onlyOnTopics = 0
        public var recordsRead = 0
        /// Records whose event or token did not verify, by reason.
        public var refused: [String: Int] = [:]
        /// Partitions not read to their end within the time limit (the answer is then partial).
        public var unfinished: [String] = []

        // The grants stay out of a report's JSON: an hour of a festival holds millions.
        enum CodingKeys: String, CodingKey { case onlyOnTopics, recordsRead, refused, unfinished }
    }

    public let sources: [Source]
    public let catalog: RewardCatalog
    public let keyRing: TokenKeyRing
    public let logger: Logger
    /// Per partition at most; a partition that takes longer is reported unfinished.
    public var partitionTimeLimit: Duration = .seconds(60)

    public init(sources: [Source], catalog: RewardCatalog, keyRing: TokenKeyRing, logger: Logger) {
        self.sources = sources
        self.catalog = catalog
        self.keyRing = keyRing
        self.logger = logger
    }

    public func scan(from: Date, to: Date) async throws -> Result {
        var result = Result()
        let fromMilliseconds = Int64(from.timeIntervalSince1970 * 1000)
        for source in sources {
            let admin = try KafkaAdmin(connection: source.connection, logger: logger)
            for topic in source.topics {
                let verifier = RecordVerifier(catalog: catalog, keyRing: keyRing, lane: topic.lane)
                let partitions = try await admin.describeTopics([topic.name]).first?.partitions.map {
                    KafkaTopicPartition(topic: topic.name, partition: $0.id)
                } ?? []
                let starts = try await admin.offsetsForTimes(Dictionary(uniqueKeysWithValues: partitions.map { ($0, fromMilliseconds) }))
                for partition in partitions {
                    let (low, high) = try await admin.watermarks(partition)
                    // A record's time is at or after its grant's (a spooled grant is written later), so
                    // nothing of the range lies before the first record written at its start.
                    let start = max(low, (starts[partition] ?? nil) ?? low)
                    guard start < high else { continue }
                    let read = try await read(partition, from: start, to: high, source: source) { value in
                        do throws(Rejection) {
                            let (grant, _) = try verifier.verify(value)
                            let event = grant.event
                            // The token's issue time, as the tokens store dates a grant.
                            guard grant.claims.issuedAt >= from, grant.claims.issuedAt < to else { return }
                            result.grants[event.orderID.rawValue] = ReconciliationSources.Grant(
                                orderID: event.orderID.rawValue, userID: event.user.id, activityID: event.activity.id,
                                sceneID: event.activity.sceneID, rewardType: event.bonus.rewardType, amount: event.bonus.amount,
                                token: event.token, issuedAt: grant.claims.issuedAt)
                        } catch {
                            result.refused[error.code, default: 0] += 1
                        }
                    }
                    result.recordsRead += read.count
                    if !read.finished { result.unfinished.append("\(source.cluster)/\(partition)") }
                }
            }
        }
        return result
    }

    /// Reads `[start, end)` of one partition, handing each record's value to `body`.
    private func read(_ partition: KafkaTopicPartition, from start: Int64, to end: Int64, source: Source,
                      _ body: ([UInt8]?) -> Void) async throws -> (count: Int, finished: Bool) {
        var configuration = KafkaConsumerConfiguration(connection: source.connection,
                                                       groupID: "reward-admin-grant-log-\(UUID().uuidString)")
        configuration.clientID = "reward-admin-grant-log"
        configuration.statisticsInterval = nil
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        try consumer.assign([partition: start])
        let watchdog = Task {
            try await Task.sleep(for: partitionTimeLimit)
            await consumer.close()
        }
        var count = 0
        var finished = false
        do {
            for try await message in consumer.messages where message.offset >= start {
                body(message.value)
                count += 1
                if message.offset >= end - 1 {
                    finished = true
                    break
                }
            }
        } catch {
            logger.warning("grant log: a partition could not be read to its end", metadata: ["partition": "\(partition)", "error": "\(error)"])
        }
        watchdog.cancel()
        await consumer.close()
        return (count, finished)
    }
}
