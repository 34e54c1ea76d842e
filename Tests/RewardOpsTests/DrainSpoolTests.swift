import Foundation
import Kafka
import Logging
import Metrics
import RewardCore
import RewardSDK
import RewardTestKit
import Testing

@Suite("reward-admin drain-spool")
struct DrainSpoolTests {
    @Test("A dead host's spool is previewed, then replayed to the clusters: every answered grant arrives, once")
    func replaysADeadHostsSpool() async throws {
        let harness = try LaneHarness()
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueTestName("dead-host-spool")).path
        defer { try? FileManager.default.removeItem(atPath: spool) }

        // The "dead host": both clusters down, so every answered grant is only in its spool.
        for name in [ClusterName.a, .b] { try harness.cluster(name).cluster.setAllBrokersDown() }
        let catalog = try RewardCatalog.load(from: "\(TestEnvironment.repositoryRoot)/ops/config/reward-types.json")
        var configuration = RewardClientConfiguration(
            clusters: [ClusterName.a, .b].map { .init(name: $0, bootstrapServers: harness.cluster($0).bootstrapServers, weight: 1) },
            catalog: catalog, keyRing: LaneHarness.keyRing, spoolDirectory: spool)
        // Every grant goes to the spool here: the 10 ms the default promise leaves for its sync is
        // the disk's test (SlowSpoolTests); on a loaded CI machine a first fdatasync took longer.
        configuration.delivery.promise = .seconds(5)
        let client = try await RewardClient(configuration: configuration, logger: makeTestLogger("dead-host", level: .critical),
                                            metrics: NOOPMetricsHandler.instance)
        let count = 200
        let answered = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<count {
                group.addTask {
                    let order = OrderID("spool-\(index)")
                    _ = try await client.sendBonus(activity: Activity(id: "fest", sceneID: "rain"),
                                                   user: User(id: "u\(index)", deviceID: "d\(index)", appID: "app"),
                                                   bonus: BonusContent(rewardType: "cash_red_envelope", amount: 5, extensions: [:]),
                                                   orderID: order)
                    return order.rawValue
                }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(answered.count == count)
        #expect(client.spoolDepth == count)
        await client.shutdown()
        for name in [ClusterName.a, .b] { try harness.cluster(name).cluster.setAllBrokersUp() }

        // B is standby so the test knows where to read; the replay path is the same for any weights.
        let admin = try AdminProcess(database: nil, harness: harness).adding(["REWARD_SDK_WEIGHTS": "A:1,B:0"])
        let preview = try await admin.run(["drain-spool", "--directory", spool])
        #expect(preview.status == 0, "\(preview.errorOutput.suffix(1_500))")
        #expect(preview.output.contains("\(count) grants no cluster acknowledged"), "\(preview.output.suffix(400))")

        let replay = try await admin.run(["drain-spool", "--directory", spool, "--execute", "--timeout", "120"])
        #expect(replay.status == 0, "\(replay.errorOutput.suffix(1_500))")
        #expect(replay.output.contains("\(count) of \(count) grants replayed"), "\(replay.output.suffix(400))")

        let delivered = try await harness.readAll(.a, topic: "reward-cash", expecting: count)
        let orders = delivered.compactMap { try? BonusEvent.decode($0.value).orderID.rawValue }
        #expect(orders.count == count, "every record decodes as a bonus event")
        #expect(Set(orders) == answered, "\(answered.subtracting(orders).count) answered grants missing")

        let again = try await admin.run(["drain-spool", "--directory", spool])
        #expect(again.output.contains("0 grants no cluster acknowledged"), "a replayed spool is empty: \(again.output.suffix(300))")
        let missing = try await admin.run(["drain-spool", "--directory", spool + "-nope"])
        #expect(missing.status != 0 && missing.errorOutput.contains("spool_missing"))
    }

    @Test("--list shows segments and the quarantine with counts and reasons; --execute replays past damage and refusals")
    func listsSegmentsAndQuarantine() async throws {
        let harness = try LaneHarness()
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueTestName("listed-spool")).path
        defer { try? FileManager.default.removeItem(atPath: spool) }
        for name in [ClusterName.a, .b] { try harness.cluster(name).cluster.setAllBrokersDown() }
        let catalog = try RewardCatalog.load(from: "\(TestEnvironment.repositoryRoot)/ops/config/reward-types.json")
        var configuration = RewardClientConfiguration(
            clusters: [ClusterName.a, .b].map { .init(name: $0, bootstrapServers: harness.cluster($0).bootstrapServers, weight: 1) },
            catalog: catalog, keyRing: LaneHarness.keyRing, spoolDirectory: spool)
        // Every grant goes to the spool here: the 10 ms the default promise leaves for its sync is
        // the disk's test (SlowSpoolTests); on a loaded CI machine a first fdatasync took longer.
        configuration.delivery.promise = .seconds(5)
        let client = try await RewardClient(configuration: configuration, logger: makeTestLogger("dead-host", level: .critical),
                                            metrics: NOOPMetricsHandler.instance)
        let count = 120
        for index in 0..<count {
            _ = try await client.sendBonus(activity: Activity(id: "fest", sceneID: "rain"),
                                           user: User(id: "u\(index)", deviceID: "d\(index)", appID: "app"),
                                           bonus: BonusContent(rewardType: "cash_red_envelope", amount: 5, extensions: [:]),
                                           orderID: OrderID("listed-\(index)"))
        }
        await client.shutdown()
        for name in [ClusterName.a, .b] { try harness.cluster(name).cluster.setAllBrokersUp() }

        // One flipped byte in the middle of the largest segment. (There can be more than one: the
        // replayer seals the active segment each time it tries the clusters while they are down.)
        let admin = try AdminProcess(database: nil, harness: harness).adding(["REWARD_SDK_WEIGHTS": "A:1,B:0"])
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        func listed() async throws -> [SpoolInspection.Entry] {
            let answer = try await admin.run(["drain-spool", "--directory", spool, "--list", "--json"])
            #expect(answer.status == 0, "\(answer.errorOutput.suffix(1_500))")
            return try decoder.decode([SpoolInspection.Entry].self, from: Data(answer.output.utf8))
        }
        let segments = try await listed()
        #expect(segments.allSatisfy { $0.kind == .segment } && segments.reduce(0) { $0 + $1.records } == count,
                "\(segments.map { "\($0.file) \($0.records)" })")
        let largest = try #require(segments.max { $0.records < $1.records })
        let segment = largest.file
        let path = "\(spool)/\(segment)"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let before = try await admin.run(["drain-spool", "--directory", spool, "--list"])
        #expect(before.status == 0, "\(before.errorOutput.suffix(1_500))")
        #expect(before.output.contains(segment) && before.output.contains("damaged: unreadable bytes"), "\(before.output)")
        #expect(before.output.contains("\(segments.count) segment(s) with \(count - 1) grants no cluster acknowledged"), "\(before.output)")

        // A refuses its first produce request for good; those records go to B, which refuses every
        // request it gets: refused by every cluster, they go to the quarantine. (librdkafka may fail
        // the topic's next records too until it refreshes its metadata, so a second batch can be
        // refused as well: counted from every refused file.)
        harness.cluster(.a).cluster.pushRequestErrors(.produce, [.topicAuthorizationFailed])
        harness.cluster(.b).cluster.pushRequestErrors(.produce, Array(repeating: .topicAuthorizationFailed, count: 50))
        let replay = try await admin.run(["drain-spool", "--directory", spool, "--execute", "--timeout", "120"])
        #expect(replay.status == 0, "\(replay.errorOutput.suffix(1_500))")
        #expect(replay.output.contains("quarantined (see --list)"), "\(replay.output.suffix(400))")

        let entries = try await listed()
        let refusedFiles = entries.filter { $0.kind == .refused }
        let damagedFiles = entries.filter { $0.kind == .damaged }
        #expect(!refusedFiles.isEmpty && damagedFiles.count == 1 && entries.count == refusedFiles.count + 1, "\(entries.map(\.file))")
        let refusals = refusedFiles.flatMap(\.refusals)
        let refusedRecords = refusedFiles.reduce(0) { $0 + $1.records }
        #expect(refusedRecords > 0 && refusals.count == refusedRecords)
        #expect(refusals.allSatisfy { $0.code == "TOPIC_AUTHORIZATION_FAILED" && $0.cluster == "A,B" })
        #expect(Set(refusals.map(\.orderID)).count == refusedRecords, "a record is quarantined twice")
        let damaged = try #require(damagedFiles.first)
        #expect(damaged.records == largest.records - 1 && damaged.unreadable.count == 1 && damaged.sourceSegment == segment)

        let delivered = try await harness.readAll(.a, topic: "reward-cash", expecting: count - 1 - refusedRecords)
        let orders = Set(delivered.compactMap { try? BonusEvent.decode($0.value).orderID.rawValue })
        #expect(orders.count == count - 1 - refusedRecords)
        #expect(orders.isDisjoint(with: refusals.map(\.orderID)))

        let table = try await admin.run(["drain-spool", "--directory", spool, "--list"])
        #expect(table.output.contains("quarantine:refused"), "\(table.output)")
        for file in refusedFiles {
            #expect(table.output.contains("refused: A,B TOPIC_AUTHORIZATION_FAILED x\(file.records)"), "\(table.output)")
        }
        #expect(table.output.contains("0 segment(s) with 0 grants"), "\(table.output)")
    }
}
