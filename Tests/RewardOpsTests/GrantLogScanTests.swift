import Foundation
import Kafka
import Logging
import RewardConsumer
import RewardCore
import RewardOps
import RewardSettlement
import RewardTestKit
import Testing

/// Issue 14 item 2: a grant whose token was never recorded and that no consumer credited (an offset
/// reset skipped it) is found on the lane topics, the grant log of last resort; a forged record there
/// is no grant; a repair pays the found grant once.
@Suite("reconcile --scan-topics: the lane topics as the grant log")
struct GrantLogScanTests {
    @Test("a grant only on the topics (sent to both clusters) is found once and repaired; a forged record is refused; credited ones are clean")
    func findsUnrecordedGrants() async throws {
        let harness = try LaneHarness()
        try await SettlementFixture.with("grant_log") { fixture in
            let engine = fixture.engine(logger: Logger(label: "engine") { _ in SwiftLogNoOpLogHandler() })
            let recorded = LaneHarness.grant(order: "log-recorded", user: "u-1", amount: 100)
            let lost = LaneHarness.grant(order: "log-lost", user: "u-2", amount: 250)
            let creditedUnrecorded = LaneHarness.grant(order: "log-credited", user: "u-3", amount: 300)
            var forged = LaneHarness.grant(order: "log-forged", user: "u-4", amount: 1)
            forged.bonus = BonusContent(rewardType: forged.bonus.rewardType, amount: 99_999)
            try await ReconcileTests.recordToken(recorded, in: fixture.pool)
            #expect(await engine.settle([recorded, creditedUnrecorded].map { SettlementRequest(testEvent: $0, source: .drain) })
                .allSatisfy(\.isSettled))
            try await harness.produce([recorded, lost, creditedUnrecorded, forged], to: .a, topic: "reward-cash")
            try await harness.produce([lost], to: .b, topic: "reward-cash")

            let reconciler = Reconciler(pool: fixture.pool, catalog: fixture.catalog, logger: fixture.logger)
            let blind = try await reconciler.run(from: ReconcileTests.from, to: ReconcileTests.to, record: false)
            #expect(blind.findings.isEmpty, "without the topics the lost grant is invisible: \(blind.findings.map(\.kind))")

            let scan = GrantLogScan(
                sources: [ClusterName.a, .b].map { name in
                    GrantLogScan.Source(cluster: name, connection: KafkaConnection(bootstrapServers: harness.cluster(name).bootstrapServers),
                                        topics: [(name: "reward-cash", lane: .cash)])
                },
                catalog: fixture.catalog, keyRing: LaneHarness.keyRing, logger: fixture.logger)
            let report = try await reconciler.run(from: ReconcileTests.from, to: ReconcileTests.to, grantLog: scan)
            #expect(report.findings.map { "\($0.kind.rawValue):\($0.orderID ?? "-")" } == ["under_issued:log-lost"])
            #expect(report.findings.first?.detail.contains("lane topic") == true)
            let log = try #require(report.grantLog)
            #expect(log.recordsRead == 5)
            #expect(log.onlyOnTopics == 2, "log-lost and log-credited have no token row")
            #expect(log.refused.values.reduce(0, +) == 1, "the forged record: \(log.refused)")
            #expect(log.unfinished.isEmpty)

            // The operator's command reads every cluster of its directory the same way.
            let admin = try AdminProcess(database: fixture.database, harness: harness)
            let command = try await admin.run(["reconcile", "--scan-topics", "--topics-directory", "\(TestEnvironment.repositoryRoot)/topics"]
                                              + ReconcileTests.range)
            #expect(command.status == 1, "\(command.output.suffix(800)) \(command.errorOutput.suffix(800))")
            #expect(command.output.contains("lane topics: 5 record(s) read, 2 grant(s) found there only"), "\(command.output.suffix(800))")
            #expect(command.output.contains("under_issued") && command.output.contains("log-lost"))

            let tally = try await reconciler.repair(report, settler: RetryingSettler(engine: engine), keyRing: LaneHarness.keyRing)
            #expect(tally.credited == 1)
            let after = try await reconciler.run(from: ReconcileTests.from, to: ReconcileTests.to, grantLog: scan)
            #expect(after.findings.isEmpty, "\(after.findings.map(\.kind))")
            #expect(try await fixture.count("SELECT COUNT(*) FROM wallet_entries WHERE order_id = 'log-lost' AND account = 'u-2'") == 1)
            #expect(try await fixture.count("SELECT COUNT(*) FROM wallet_entries WHERE order_id = 'log-forged'") == 0)
        }
    }
}
