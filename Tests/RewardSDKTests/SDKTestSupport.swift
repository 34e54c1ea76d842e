import Foundation
import Kafka
import Logging
import Metrics
import MetricsTestKit
import RewardCore
@testable import RewardSDK
import RewardTestKit
import Testing

/// Two in-process mock clusters (A and B) with the SDK's topics, a private spool directory and
/// the repository's reward type catalog: what every SDK test starts from.
final class SDKTestBed: Sendable {
    static let topics = ["reward-cash", "reward-goods"]
    static let partitions = 12

    let a: TestKafkaCluster
    let b: TestKafkaCluster
    let spoolDirectory: String
    let catalog: RewardCatalog
    let keyRing: TokenKeyRing
    let logger: Logger

    init(name: String) throws {
        a = try TestKafkaCluster(name: "\(name)-A")
        b = try TestKafkaCluster(name: "\(name)-B")
        for cluster in [a, b] {
            for topic in Self.topics {
                try cluster.cluster.createTopic(topic, partitions: Self.partitions, replicationFactor: 3)
            }
        }
        spoolDirectory = NSTemporaryDirectory() + uniqueTestName("reward-spool-\(name)")
        catalog = try RewardCatalog.load(from: "\(TestEnvironment.repositoryRoot)/ops/config/reward-types.json")
        keyRing = try TokenKeyRing(keys: [3: [UInt8](repeating: 0x42, count: 32)], currentKeyID: 3, lifetime: .seconds(3600))
        logger = makeTestLogger("sdk-\(name)")
    }

    deinit {
        try? FileManager.default.removeItem(atPath: spoolDirectory)
    }

    func cluster(_ name: ClusterName) -> TestKafkaCluster { name == .a ? a : b }

    /// Deadlines generous enough for a loaded 2-core test run: the tests check routing and
    /// durability, not the 50 ms budget (the benchmark measures that).
    func configuration() -> RewardClientConfiguration {
        var configuration = RewardClientConfiguration(
            clusters: [
                .init(name: .a, bootstrapServers: a.bootstrapServers),
                .init(name: .b, bootstrapServers: b.bootstrapServers),
            ],
            catalog: catalog, keyRing: keyRing, spoolDirectory: spoolDirectory)
        configuration.delivery.hedgeFloor = .milliseconds(500)
        configuration.delivery.budget = .milliseconds(1200)
        configuration.delivery.promise = .milliseconds(2000)
        configuration.delivery.coolDown = .milliseconds(500)
        configuration.delivery.replayAcknowledgementTimeout = .seconds(2)
        configuration.delivery.shutdownFlushTimeout = .seconds(1)
        return configuration
    }

    func makeClient(_ configuration: RewardClientConfiguration? = nil, metrics: TestMetrics = TestMetrics()) async throws
        -> RewardClient
    {
        try await RewardClient(configuration: configuration ?? self.configuration(), logger: logger, metrics: metrics)
    }

    /// Records stored on `topics` of one cluster so far (sum of high watermarks).
    func storedCount(_ name: ClusterName, topics: [String] = SDKTestBed.topics) async throws -> Int64 {
        let admin = try KafkaAdmin(bootstrapServers: cluster(name).bootstrapServers, clientID: "sdk-test-watermarks",
                                   logger: logger)
        var total: Int64 = 0
        for topic in topics {
            for partition in 0..<Int32(Self.partitions) {
                total += try await admin.watermarks(KafkaTopicPartition(topic: topic, partition: partition)).high
            }
        }
        return total
    }

    /// Every record stored on the SDK's topics of one cluster, decoded.
    func events(_ name: ClusterName) async throws -> [BonusEvent] {
        try await messages(name).map { try BonusEvent.decode($0.value) }
    }

    /// Every record stored on the SDK's topics of one cluster, as stored (key, value, partition).
    func messages(_ name: ClusterName) async throws -> [KafkaConsumerMessage] {
        let kafka = cluster(name)
        let admin = try KafkaAdmin(bootstrapServers: kafka.bootstrapServers, clientID: "sdk-test-drain", logger: logger)
        var ends: [KafkaTopicPartition: Int64] = [:]
        for topic in Self.topics {
            for partition in 0..<Int32(Self.partitions) {
                let tp = KafkaTopicPartition(topic: topic, partition: partition)
                let marks = try await admin.watermarks(tp)
                if marks.high > marks.low { ends[tp] = marks.high }
            }
        }
        guard !ends.isEmpty else { return [] }
        let consumer = try KafkaConsumer(configuration: kafka.consumerConfiguration(group: uniqueTestName("drain")), logger: logger)
        try consumer.assign(Dictionary(uniqueKeysWithValues: ends.keys.map { ($0, Int64(0)) }))
        let remaining = TestBox(ends)
        let messages = try await withDeadline(.seconds(60), "draining cluster \(name)") {
            var messages: [KafkaConsumerMessage] = []
            for try await message in consumer.messages {
                messages.append(message)
                let done = remaining.withLock { remaining -> Bool in
                    if let end = remaining[message.topicPartition], message.offset + 1 >= end {
                        remaining[message.topicPartition] = nil
                    }
                    return remaining.isEmpty
                }
                if done { break }
            }
            return messages
        }
        await consumer.close()
        return messages
    }

    /// Segment files in the spool directory (quarantined files are not segments).
    func spoolSegments() throws -> [String] {
        guard FileManager.default.fileExists(atPath: spoolDirectory) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: spoolDirectory)
            .filter { $0.hasPrefix("segment-") && $0.hasSuffix(".log") }
    }

    /// The order ids of every record the spool's segments hold.
    func spooledOrderIDs() throws -> Set<String> {
        try Set(spoolSegments().flatMap { name -> [String] in
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(spoolDirectory)/\(name)")))
            return try SpoolFormat.scan(bytes).frames.map { try SpoolRecord.decode($0.payload).orderID }
        })
    }

    /// Quarantine files (`quarantine-….log`) in the spool directory, sorted.
    func quarantineFiles() throws -> [String] {
        guard FileManager.default.fileExists(atPath: spoolDirectory) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: spoolDirectory)
            .filter { $0.hasPrefix("quarantine-") && $0.hasSuffix(".log") }.sorted()
    }

    /// The notes beside the quarantine files (who refused each record and why).
    func quarantineNotes() throws -> [SpoolQuarantineNote] {
        try quarantineFiles().map { name in
            let path = "\(spoolDirectory)/\(name.dropLast(".log".count)).json"
            return try #require(SpoolQuarantineNote.decode([UInt8](Data(contentsOf: URL(fileURLWithPath: path)))), "\(path) reads")
        }
    }

    /// The records that verify in the quarantine files.
    func quarantinedRecords() throws -> [SpoolRecord] {
        try quarantineFiles().flatMap { name -> [SpoolRecord] in
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(spoolDirectory)/\(name)")))
            return try SpoolFormat.scan(bytes).frames.map { try SpoolRecord.decode($0.payload) }
        }
    }

    /// The record ``RewardClient`` spools for `grant` (what a process that died left behind).
    func spoolRecord(_ grant: SampleGrant) throws -> SpoolRecord {
        let type = try catalog.validate(grant.bonus)
        let now = Date()
        let token = keyRing.mint(orderID: grant.orderID, userID: grant.user.id, rewardType: type.id, amount: grant.bonus.amount,
                                 activityID: grant.activity.id, issuedAt: now)
        let event = BonusEvent(orderID: grant.orderID, activity: grant.activity, user: grant.user, bonus: grant.bonus,
                               lane: type.lane, grantedAtMilliseconds: Int64(now.timeIntervalSince1970 * 1000), token: token.encoded)
        return SpoolRecord(topic: "reward-\(type.lane.rawValue)", key: event.key, value: event.encoded())
    }

    /// Writes `records`, in this order, as one sealed segment of the spool directory.
    /// - Returns: the segment's path and where each record's frame starts.
    @discardableResult
    func writeSegment(_ records: [SpoolRecord], sequence: UInt64 = 1) throws -> (path: String, frameStarts: [Int]) {
        try FileManager.default.createDirectory(atPath: spoolDirectory, withIntermediateDirectories: true)
        var bytes = SpoolFormat.header
        var starts: [Int] = []
        for record in records {
            starts.append(bytes.count)
            bytes += SpoolFormat.frame(record)
        }
        let path = "\(spoolDirectory)/\(SpoolFormat.segmentName(sequence))"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return (path, starts)
    }
}

extension SpoolRecord {
    /// The order id (the record's key).
    var orderID: String { String(decoding: key, as: UTF8.self) }
}

/// A valid grant, numbered: alternating cash and goods lanes so both topics are used.
struct SampleGrant: Sendable {
    var activity: Activity
    var user: User
    var bonus: BonusContent
    var orderID: OrderID

    init(_ n: Int, prefix: String = "t") {
        activity = Activity(id: "spring-gala", sceneID: "rain-round-1")
        user = User(id: "u\(n % 5_000)", deviceID: "dev-\(n % 5_000)", appID: "main-app")
        let cash = n % 2 == 0
        bonus = BonusContent(rewardType: cash ? "cash_red_envelope" : "coupon_10off", amount: cash ? Int64(1 + n % 8_800) : 1,
                             extensions: ["n": "\(n)"])
        orderID = OrderID("\(prefix):\(n)")
    }

    func send(_ client: RewardClient) async throws(RewardError) -> RewardToken {
        try await client.sendBonus(activity: activity, user: user, bonus: bonus, orderID: orderID)
    }
}

extension TestMetrics {
    /// `reward_sdk_grants_total` for one outcome, over every reward type.
    func grants(_ outcome: String) -> Int64 {
        counters(label: "reward_sdk_grants_total").filter { counter in
            counter.dimensions.contains { $0.0 == "outcome" && $0.1 == outcome }
        }.reduce(0) { $0 + $1.totalValue }
    }
}

/// Runs `count` grants from `tasks` concurrent tasks; returns each grant's token by index.
func grantConcurrently(_ client: RewardClient, count: Int, tasks: Int, prefix: String) async throws -> [Int: RewardToken] {
    try await withThrowingTaskGroup(of: [(Int, RewardToken)].self) { group in
        for worker in 0..<tasks {
            group.addTask {
                var tokens: [(Int, RewardToken)] = []
                for n in stride(from: worker, to: count, by: tasks) {
                    tokens.append((n, try await SampleGrant(n, prefix: prefix).send(client)))
                }
                return tokens
            }
        }
        var all: [Int: RewardToken] = [:]
        for try await part in group { for (n, token) in part { all[n] = token } }
        return all
    }
}
