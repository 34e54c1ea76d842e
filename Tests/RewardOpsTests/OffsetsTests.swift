import Foundation
import Kafka
import MariaDB
import RewardCore
import RewardOps
import RewardTestKit
import Testing

/// `reward-admin offsets` and the runbook's "A lane halted", run step by step against a real
/// overrun of a mock partition.
@Suite("reward-admin offsets")
struct OffsetsTests {
    struct Report: Decodable {
        var group: String
        var partitions: [Partition]
    }

    struct Partition: Decodable {
        var partition: Int32
        var committed: Int64?
        var logStart: Int64
        var logEnd: Int64
        var position: String
        var outOfRange: Bool
        var lag: Int64
        var gone: Int64
        var logStartTimeMilliseconds: Int64?
    }

    static let seen = 50
    static let late = 3_000
    /// Every record carries this much header padding, uncompressed, so the mock's 5 MiB per
    /// partition holds only ~1,100 of them: the overrun takes thousands of records, not 50,000.
    static let padding = 4_096
    static let reset = ["offsets", "reset", "--cluster", "A", "--topic", "reward-cash"]

    @Test("""
        A real overrun halts the lane (offsetOutOfRange); offsets show reports it; reset previews, executes, and refuses \
        while a consumer is live; drain and the restarted lane read what is left; reconcile re-issues what was lost
        """)
    func overrunAndRecovery() async throws {
        let clock = ContinuousClock()
        let started = clock.now
        var timings: [String] = []
        func lap(_ step: String) { timings.append("\(step) \(Self.seconds(clock.now - started))") }

        let harness = try LaneHarness()
        let directory = try ConsumerProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await SettlementFixture.with("offsets") { fixture in
            let admin = try AdminProcess(database: fixture.database, harness: harness)
            let environment = try ConsumerProcess.environment(fixture: fixture, harness: harness, directory: directory,
                                                              rates: #"{ "rates": {}, "sharedDownstreams": {} }"#)
            let seen = (0..<Self.seen).map { LaneHarness.grant(order: "seen-\($0)", user: "u\($0 % 97)", amount: 10) }
            let late = (0..<Self.late).map { LaneHarness.grant(order: "late-\($0)", user: "u\($0 % 97)", amount: Int64(1 + $0 % 20)) }
            // The SDK records every grant's token as it grants: reconciliation finds lost events by them.
            try await Self.recordTokens(seen + late, in: fixture.pool)
            let credited: @Sendable () async throws -> Int = {
                try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE state = 'credited'")
            }

            // 1. The lane reads the first grants of one partition and commits.
            try await Self.produce(seen, to: harness.cluster(.a))
            let lane = RunningServices([try harness.lane(.a, .cash, fixture: fixture)], logger: harness.logger)
            try await eventually(.seconds(60), "the lane credits the first grants") { try await credited() == Self.seen }
            try await lane.stop()
            let before = try await Self.show(admin)
            let partition = try #require(before.partitions.first { $0.committed != nil }, "the lane committed a partition")
            #expect(partition.committed == Int64(Self.seen) && partition.position == "in-range")
            lap("lane read the first \(Self.seen)")

            // 2. Consumers down, the partition overruns: the mock drops the oldest batches past 5 MiB.
            try await Self.produce(late, to: harness.cluster(.a))
            let overrun = try #require(try await Self.show(admin).partitions.first { $0.partition == partition.partition })
            #expect(overrun.position == "below-log-start" && overrun.outOfRange)
            #expect(overrun.logEnd == Int64(Self.seen + Self.late))
            #expect(overrun.logStart > Int64(Self.seen), "records the group never read were dropped")
            #expect(overrun.gone == overrun.logStart - Int64(Self.seen))
            #expect(overrun.logStartTimeMilliseconds != nil, "the oldest record's time is shown")
            let left = overrun.logEnd - overrun.logStart
            lap("overrun: log \(overrun.logStart)..<\(overrun.logEnd), \(overrun.gone) gone")

            // 3. The lane halts: a consumer exits with offsetOutOfRange and a critical log, crediting nothing.
            let halted = try ConsumerProcess.start("A", "reward-cash", environment: environment)
            let haltedOutput = Task { await halted.lines.reduce(into: "") { $0 += $1 + "\n" } }
            let haltedExit = try await withDeadline(.seconds(60), "the halted consumer exiting") { await halted.waitForExit() }
            let log = await haltedOutput.value + haltedExit.errorOutput
            #expect(haltedExit.status == 1)
            #expect(log.contains("lane stopped") && log.contains("is outside the log") && log.contains("reward-admin offsets show"),
                    "\(log.suffix(2_000))")
            #expect(try await credited() == Self.seen, "nothing was skipped to")
            print("offsets overrunAndRecovery: the halted consumer logged: \(log.split(separator: "\n").first { $0.contains("lane stopped") } ?? "-")")
            lap("lane halted")

            // 4. offsets show says why, in words.
            let table = try await admin.run(["offsets", "show", "--cluster", "A", "--topic", "reward-cash"])
            #expect(table.status == 0, "\(table.errorOutput.suffix(1_000))")
            #expect(table.output.contains("OUT OF RANGE (below log start)"))
            #expect(table.output.contains("""
                partition \(partition.partition): committed offset \(Self.seen) is below the log start \(overrun.logStart): \
                \(overrun.gone) record(s) the group never read are gone; the oldest record left was written 20
                """), "\(table.output)")
            #expect(table.output.contains("1 partition(s) out of range"))
            // A drain would start at the log start (what is still there), and says so.
            let drainPlan = try await admin.run(["drain", "--cluster", "A", "--topic", "reward-cash"])
            #expect(drainPlan.output.contains("the drain starts at the log start"), "\(drainPlan.output)")
            #expect(drainPlan.output.contains("preview only: \(left) records would be settled"), "\(drainPlan.output)")

            // 5. Reset: bad input gets specific errors; previews change nothing.
            let below = try await admin.run(Self.reset + ["--partition", "\(partition.partition)", "--to-offset", "3", "--execute"])
            #expect(below.status == 1)
            #expect(below.output.contains("""
                partition \(partition.partition): offset 3 is outside its log, which runs from the log start \(overrun.logStart) \
                to the log end \(overrun.logEnd)
                """), "\(below.output) \(below.errorOutput)")
            let huge = try await admin.run(Self.reset + ["--to-offset", "99999999999999999999"])
            #expect(huge.status == 64 && huge.errorOutput.contains("--to-offset"), "\(huge.errorOutput)")
            let noPartition = try await admin.run(Self.reset + ["--partition", "99", "--to-earliest"])
            #expect(noPartition.status == 1 && noPartition.output.contains("has partitions 0-11 on cluster A, not 99"),
                    "\(noPartition.output)")
            let twoTargets = try await admin.run(Self.reset + ["--to-earliest", "--to-latest"])
            #expect(twoTargets.status == 64 && twoTargets.errorOutput.contains("exactly one target"))
            let beforeEpoch = try await admin.run(Self.reset + ["--to-time", "1969-12-31T00:00:00Z"])
            #expect(beforeEpoch.status == 64 && beforeEpoch.errorOutput.contains("must not be before 1970"))
            let byTime = try await admin.run(Self.reset + ["--to-time", "2026-11-18T11:00:00Z"])
            #expect(byTime.status == 1 && byTime.output.contains("this cluster cannot look offsets up by time"), "\(byTime.output)")
            let latest = try await admin.run(Self.reset + ["--out-of-range", "--to-latest"])
            #expect(latest.output.contains("preview only: 1 partition(s) would move; \(left) record(s) still in the log skipped"),
                    "\(latest.output)")
            let preview = try await admin.run(Self.reset + ["--out-of-range", "--to-earliest"])
            #expect(preview.status == 0, "\(preview.errorOutput.suffix(1_000))")
            #expect(preview.output.contains("""
                preview only: 1 partition(s) would move; 0 record(s) still in the log skipped, 0 read again; \
                \(overrun.gone) record(s) were already gone below the log start
                """), "\(preview.output)")
            #expect(try await Self.show(admin).partitions.first { $0.partition == partition.partition }?.committed == Int64(Self.seen),
                    "previews commit nothing")
            lap("previews")

            // 6. Execute: the group now reads from the oldest record left.
            let executed = try await admin.run(Self.reset + ["--out-of-range", "--to-earliest", "--execute"])
            #expect(executed.status == 0, "\(executed.output) \(executed.errorOutput.suffix(1_000))")
            #expect(executed.output.contains("reset: committed 1 partition(s) of reward-consumer-A-cash"), "\(executed.output)")
            #expect(executed.output.contains("no partition out of range"))
            let afterReset = try #require(try await Self.show(admin).partitions.first { $0.partition == partition.partition })
            #expect(afterReset.committed == overrun.logStart && afterReset.position == "in-range")
            lap("reset executed")

            // 7. Drain what is still there. (The mock refuses the drain's non-member commits for a
            // group that had members; real Kafka takes them while the group is empty.)
            try await eventually(.seconds(10), "the halted consumer's lease expiring") {
                try await LaneActivity.activeInstances(lane: .cash, pool: fixture.pool).isEmpty
            }
            let drain = try await admin.run(["drain", "--cluster", "A", "--topic", "reward-cash", "--execute"])
            #expect(drain.status == 0, "\(drain.output.suffix(1_000)) \(drain.errorOutput.suffix(1_000))")
            #expect(drain.output.contains("drain completed: \(left) of \(left) records"), "\(drain.output.suffix(1_000))")
            #expect(try await credited() == Self.seen + Int(left))
            #expect(drain.output.contains("group offsets: not moved (KafkaError UNKNOWN_MEMBER_ID"), "the mock refused the drain's commits")
            lap("drained \(left)")

            // 8. The lane runs again; while it runs, a reset refuses.
            let consumer = try ConsumerProcess.start("A", "reward-cash", environment: environment)
            try await eventually(.seconds(60), interval: .milliseconds(500), "the restarted lane catching up") {
                try await Self.show(admin).partitions.first { $0.partition == partition.partition }?.committed == overrun.logEnd
            }
            let refused = try await admin.run(Self.reset + ["--to-earliest", "--execute"])
            #expect(refused.status == 2, "\(refused.output) \(refused.errorOutput.suffix(1_000))")
            #expect(refused.output.contains("group reward-consumer-A-cash has live members, so nothing was committed"), "\(refused.output)")
            #expect(try await Self.show(admin).partitions.first { $0.partition == partition.partition }?.committed == overrun.logEnd)
            consumer.send(signal: SIGTERM)
            let stopped = await consumer.waitForExit()
            #expect(stopped.status == 0, "\(stopped.errorOutput.suffix(2_000))")
            #expect(try await credited() == Self.seen + Int(left), "re-read records were duplicates, not credited twice")
            lap("lane ran again, reset refused while it ran")

            // 9. Reconcile the hour: the lost grants are under-issued; repair re-issues them from their tokens.
            let range = ["--from", "2026-11-18T11:00:00Z", "--to", "2026-11-18T12:00:00Z"]
            let found = try await admin.run(["reconcile"] + range)
            #expect(found.status == 1)
            #expect(found.output.contains("reconcile: \(overrun.gone) difference(s): under_issued \(overrun.gone)"),
                    "\(found.output.suffix(600))")
            let repaired = try await admin.run(["reconcile"] + range + ["--repair", "--execute"])
            #expect(repaired.output.contains("repair: credited \(overrun.gone), already credited 0"), "\(repaired.output.suffix(600))")
            let clean = try await admin.run(["reconcile"] + range)
            #expect(clean.status == 0 && clean.output.contains("reconcile: clean"), "\(clean.output.suffix(600))")
            #expect(try await credited() == Self.seen + Self.late)
            #expect(try await fixture.count("SELECT COUNT(*) FROM wallet_entries WHERE account <> '~issuance'") == Self.seen + Self.late,
                    "every grant credited exactly once")
            #expect(try await fixture.unbalancedTransfers() == 0)
            lap("reconciled")
        }
        print("offsets overrunAndRecovery: \(timings.joined(separator: ", "))")
    }

    /// Produces to one partition of A's reward-cash (one key), uncompressed and padded, in small batches.
    static func produce(_ events: [BonusEvent], to kafka: TestKafkaCluster) async throws {
        var configuration = kafka.producerConfiguration(clientID: "overrun")
        configuration.compression = .none
        configuration.maximumBatchMessages = 20
        let producer = try KafkaProducer(configuration: configuration, logger: kafka.logger)
        let padding = KafkaHeader(name: "x-test-padding", value: [UInt8](repeating: 0, count: padding))
        let failures = TestBox(0)
        for event in events {
            let message = KafkaProducerMessage(topic: "reward-cash", key: Array("overrun".utf8), value: event.encoded(), headers: [padding])
            try producer.send(message) { result in
                if case .failure = result { failures.withLock { $0 += 1 } }
            }
        }
        let flushed = await producer.flush(timeout: .seconds(60))
        await producer.shutdown()
        #expect(flushed && failures.value == 0, "every record acknowledged")
    }

    /// `reward-admin offsets show --json` for A's reward-cash.
    static func show(_ admin: AdminProcess) async throws -> Report {
        let result = try await admin.run(["offsets", "show", "--cluster", "A", "--topic", "reward-cash", "--json"])
        guard result.status == 0 else { throw DeadlineExceeded(what: "offsets show: \(result.output) \(result.errorOutput.suffix(1_000))") }
        return try #require(try JSONDecoder().decode([Report].self, from: Data(result.output.utf8)).first)
    }

    /// The tokens store as the SDK fills it, 500 rows per statement.
    static func recordTokens(_ events: [BonusEvent], in pool: MariaDBPool) async throws {
        for start in stride(from: 0, to: events.count, by: 500) {
            var query: SQLQuery = """
                INSERT INTO reward_tokens (user_id, order_id, token, activity_id, scene_id, reward_type, amount, issued_at,
                    expires_at, recorded_by, recorded_at) VALUES
                """
            for (index, event) in events[start..<min(events.count, start + 500)].enumerated() {
                let issued = Date(timeIntervalSince1970: Double(event.grantedAtMilliseconds) / 1000)
                query.append(sql: index == 0 ? " " : ", ")
                query.append("""
                    (\(event.user.id), \(event.orderID.rawValue), \(event.token), \(event.activity.id), \(event.activity.sceneID),
                     \(event.bonus.rewardType), \(event.bonus.amount), \(issued), \(issued.addingTimeInterval(86_400 * 30)), 'sdk', \(issued))
                    """)
            }
            try await pool.execute(query)
        }
    }

    static func seconds(_ duration: Duration) -> String {
        String(format: "%.1fs", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }
}
