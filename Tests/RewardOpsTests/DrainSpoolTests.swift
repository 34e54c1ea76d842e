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
        let configuration = RewardClientConfiguration(
            clusters: [ClusterName.a, .b].map { .init(name: $0, bootstrapServers: harness.cluster($0).bootstrapServers, weight: 1) },
            catalog: catalog, keyRing: LaneHarness.keyRing, spoolDirectory: spool)
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
}
