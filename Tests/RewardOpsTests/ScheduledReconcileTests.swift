import Foundation
import Logging
import MariaDB
import RewardCore
@testable import RewardOps
import RewardSettlement
import RewardTestKit
import Testing

/// Issue 14 item 2: `reward-admin reconcile --every` as a real process reconciles closed hours on
/// its own, exports the open findings on /metrics, and turns an hour clean once a person repairs it.
@Suite("reward-admin reconcile --every")
struct ScheduledReconcileTests {
    @Test("which hours are due: closed ones in the window without a run, or whose last run found differences")
    func dueHours() {
        let now = Date(timeIntervalSince1970: 1_795_000_000)  // 11:06:40
        let hour = { (h: Double) in Date(timeIntervalSince1970: 1_794_999_600 + h * 3600) }  // hour(0) = 11:00
        let grace = Duration.seconds(15 * 60)
        let lookback = Duration.seconds(4 * 3600)
        #expect(ScheduledReconciliation.due(now: now, grace: grace, lookback: lookback, latest: [:]) == [hour(-4), hour(-3), hour(-2)],
                "10:00-11:00 is not closed until 11:15")
        #expect(ScheduledReconciliation.due(now: now.addingTimeInterval(600), grace: grace, lookback: lookback, latest: [:]).last == hour(-1))
        let latest = [hour(-4): HourlyRun(runID: 1, findings: 0), hour(-3): HourlyRun(runID: 2, findings: 3)]
        #expect(ScheduledReconciliation.due(now: now, grace: grace, lookback: lookback, latest: latest) == [hour(-3), hour(-2)])
    }

    @Test("a service run finds a missing credit, a wrong balance and an unbalanced transfer in a closed hour; after a repair the hour turns clean by itself")
    func serviceFindsAndClears() async throws {
        try await SettlementFixture.with("reconcile_every") { fixture in
            let now = Date()
            let closed = Date(timeIntervalSince1970: ((now.timeIntervalSince1970 / 3600).rounded(.down) - 2) * 3600)
            let at = closed.addingTimeInterval(600)
            // Credited properly (the engine), then: a grant never credited, a balance edited, a transfer with one leg.
            let engine = fixture.engine(logger: Logger(label: "engine") { _ in SwiftLogNoOpLogHandler() })
            let grants = (0..<4).map { TestGrants.event(order: "sch-\($0)", user: "sch-user-\($0)", amount: 100, grantedAt: at) }
            for grant in grants { try await ReconcileTests.recordToken(grant, in: fixture.pool) }
            #expect(await engine.settle(grants.dropLast().map { SettlementRequest(testEvent: $0, source: .drain) }).allSatisfy(\.isSettled))
            try await fixture.pool.execute("UPDATE wallet_entries SET created_at = \(at)")
            try await fixture.pool.execute("UPDATE wallet_accounts SET updated_at = \(at)")
            try await fixture.pool.execute("UPDATE wallet_accounts SET balance = balance + 1000, credited = credited + 1000 WHERE user_id = 'sch-user-1'")
            try await fixture.pool.execute("""
                INSERT INTO wallet_entries (transfer_id, user_id, account, currency, amount, order_id, activity_id, reward_type, created_at)
                VALUES ('credit:forged', 'sch-user-2', '~issuance', 'CNY', -500, 'forged', 'fest', 'cash_red_envelope', \(at))
                """)

            let admin = try AdminProcess(database: fixture.database, harness: nil)
            let service = try ChildProcess(admin.path, ["reconcile", "--every", "2s", "--lookback-hours", "4", "--metrics-port", "0"],
                                           environment: admin.environment)
            let port = try await withDeadline(.seconds(60), "the reconciler's metrics line") { () -> Int? in
                for await line in service.lines {
                    if let range = line.range(of: "metrics on 127.0.0.1:") { return Int(line[range.upperBound...]) }
                }
                return nil
            }
            let metricsPort = try #require(port)
            @Sendable func open(_ kind: String) async throws -> Double {
                ConsumerProcess.metric(try await LoopbackHTTP.get(port: metricsPort, path: "/metrics"), "reward_reconcile_findings",
                                       label: "kind=\"\(kind)\"")
            }
            try await eventually(.seconds(60), "the closed hour reconciled") { try await open("under_issued") == 1 }
            #expect(try await open("balance_mismatch") == 1)
            #expect(try await open("unbalanced_transfer") == 1)
            #expect(try await open("duplicate_credit") == 0, "every kind is exported, also at 0")
            let hourly = try await fixture.count("""
                SELECT COUNT(DISTINCT range_start) FROM reconciliation_runs WHERE range_end = range_start + INTERVAL 1 HOUR
                """)
            #expect(hourly >= 3, "every closed hour of the window has its run")

            // A person repairs the missing credit; the next cycle re-runs the hour and the finding is gone.
            let hourText = ISO8601DateFormatter().string(from: closed)
            let endText = ISO8601DateFormatter().string(from: closed.addingTimeInterval(3600))
            let repair = try await admin.run(["reconcile", "--from", hourText, "--to", endText, "--repair", "--execute"])
            #expect(repair.output.contains("repair: credited 1"), "\(repair.output.suffix(600))")
            try await eventually(.seconds(60), "the repaired finding cleared") { try await open("under_issued") == 0 }
            #expect(try await open("balance_mismatch") == 1, "a wrong balance stays until a person fixes it")

            service.send(signal: SIGTERM)
            #expect(await service.waitForExit().status == 0)
        }
    }
}
