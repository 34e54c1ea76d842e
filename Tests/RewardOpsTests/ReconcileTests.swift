import Foundation
import Logging
import MariaDB
import RewardCore
import RewardOps
import RewardSettlement
import RewardTestKit
import Testing

@Suite("reward-admin reconcile")
struct ReconcileTests {
    /// LaneHarness grants are issued at 1_795_000_000 s (2026-11-18T11:06:40Z): this hour.
    static let from = Date(timeIntervalSince1970: 1_794_999_600)
    static let to = from.addingTimeInterval(3600)
    static let range = ["--from", "2026-11-18T11:00:00Z", "--to", "2026-11-18T12:00:00Z"]

    @Test("five injected differences are each found with their kind and nothing else; a clean run exits 0; repair re-issues the missing")
    func injectedDifferences() async throws {
        try await SettlementFixture.with("reconcile") { fixture in
            let engine = fixture.engine(logger: Logger(label: "engine") { _ in SwiftLogNoOpLogHandler() })
            try await fixture.pool.execute("""
                INSERT INTO budgets (activity_id, reward_type, cap, issued, held, warn_percent, updated_at)
                VALUES ('capped', 'cash_red_envelope', 100, 0, 0, 80, UTC_TIMESTAMP(6))
                """)
            var grants = (0..<20).map { LaneHarness.grant(order: "rec-\($0)", user: "user-\($0)", amount: Int64(100 + $0)) }
            grants += (0..<2).map { LaneHarness.grant(order: "cap-\($0)", user: "user-c\($0)", amount: 50, activity: "capped") }
            for grant in grants { try await Self.recordToken(grant, in: fixture.pool) }
            let outcomes = await engine.settle(grants.map { SettlementRequest(testEvent: $0, source: .drain) })
            #expect(outcomes.allSatisfy { $0.isSettled })

            let reconciler = Reconciler(pool: fixture.pool, catalog: fixture.catalog, logger: fixture.logger)
            let clean = try await reconciler.run(from: Self.from, to: Self.to)
            #expect(clean.findings.isEmpty, "\(clean.findings.map(\.kind.rawValue))")
            #expect(clean.buckets.reduce(0) { $0 + $1.grants } == 22)
            let admin = try AdminProcess(database: fixture.database, harness: nil)
            let cleanRun = try await admin.run(["reconcile"] + Self.range)
            #expect(cleanRun.status == 0, "\(cleanRun.output.suffix(800)) \(cleanRun.errorOutput.suffix(800))")
            #expect(cleanRun.output.contains("reconcile: clean"))

            // 1. a deleted credit, 2. a doubled credit, 3. an edited amount.
            try await fixture.pool.execute("DELETE FROM wallet_entries WHERE order_id = 'rec-1'")
            try await fixture.pool.execute("""
                INSERT INTO wallet_entries (transfer_id, user_id, account, currency, amount, order_id, activity_id, reward_type, created_at)
                SELECT 'manual:rec-2', user_id, account, currency, amount, order_id, activity_id, reward_type, created_at
                FROM wallet_entries WHERE order_id = 'rec-2'
                """)
            try await fixture.pool.execute("UPDATE wallet_entries SET amount = amount + 5 WHERE order_id = 'rec-3' AND account <> '~issuance'")
            // 4. a claim that was never credited.
            let stuck = LaneHarness.grant(order: "rec-stuck", user: "user-stuck", amount: 77)
            try await Self.recordToken(stuck, in: fixture.pool)
            try await fixture.pool.execute("""
                INSERT INTO order_claims (order_id, user_id, activity_id, reward_type, amount, ledger, state, claimed_by, granted_at, claimed_at)
                VALUES ('rec-stuck', 'user-stuck', 'fest', 'cash_red_envelope', 77, 'wallet', 'claimed', 'consumer', \(Self.from), \(Self.from))
                """)
            // 5. a grant credited past its activity's budget, bypassing the engine.
            let over = LaneHarness.grant(order: "cap-over", user: "user-over", amount: 30, activity: "capped")
            try await Self.recordToken(over, in: fixture.pool)
            try await fixture.pool.execute("""
                INSERT INTO order_claims (order_id, user_id, activity_id, reward_type, amount, ledger, state, claimed_by, granted_at,
                    claimed_at, credited_at, ledger_reference)
                VALUES ('cap-over', 'user-over', 'capped', 'cash_red_envelope', 30, 'wallet', 'credited', 'consumer', \(Self.from),
                    \(Self.from), \(Self.from), 'credit:cap-over')
                """)
            try await fixture.pool.execute("""
                INSERT INTO wallet_entries (transfer_id, user_id, account, currency, amount, order_id, activity_id, reward_type, created_at)
                VALUES ('credit:cap-over', 'user-over', 'user-over', 'CNY', 30, 'cap-over', 'capped', 'cash_red_envelope', \(Self.from)),
                       ('credit:cap-over', 'user-over', '~issuance', 'CNY', -30, 'cap-over', 'capped', 'cash_red_envelope', \(Self.from))
                """)

            let dirty = try await reconciler.run(from: Self.from, to: Self.to)
            let found = Set(dirty.findings.map { "\($0.kind.rawValue):\($0.orderID ?? $0.activityID ?? $0.userID ?? "-")" })
            // The credit written past the engine also has no wallet account behind it: the books say so too.
            #expect(found == ["under_issued:rec-1", "duplicate_credit:rec-2", "amount_mismatch:rec-3",
                              "claim_without_credit:rec-stuck", "over_budget:capped", "balance_mismatch:user-over"],
                    "found: \(found.sorted())")
            #expect(dirty.findings.count == 6)
            let recorded = try await fixture.count("SELECT COUNT(*) FROM reconciliation_findings WHERE run_id = \(dirty.runID ?? 0)")
            #expect(recorded == 6)
            let dirtyRun = try await admin.run(["reconcile"] + Self.range)
            #expect(dirtyRun.status == 1)
            #expect(dirtyRun.output.contains("6 difference(s)"), "\(dirtyRun.output.suffix(800))")

            // Repair re-issues the two missing credits, once; the rest stays for a person.
            let tally = try await reconciler.repair(dirty, settler: RetryingSettler(engine: engine), keyRing: TestGrants.keyRing)
            #expect(tally.credited == 2)
            let after = try await reconciler.run(from: Self.from, to: Self.to)
            #expect(Set(after.findings.map(\.kind)) == [.duplicateCredit, .amountMismatch, .overBudget, .balanceMismatch])
            let again = try await reconciler.repair(after, settler: RetryingSettler(engine: engine), keyRing: TestGrants.keyRing)
            #expect(again.credited == 0)
            #expect(try await fixture.count("SELECT COUNT(*) FROM wallet_entries WHERE order_id = 'rec-1'") == 2)
        }
    }

    static func recordToken(_ event: BonusEvent, in pool: MariaDBPool) async throws {
        let issued = Date(timeIntervalSince1970: Double(event.grantedAtMilliseconds) / 1000)
        try await pool.execute("""
            INSERT INTO reward_tokens (user_id, order_id, token, activity_id, scene_id, reward_type, amount, issued_at, expires_at,
                recorded_by, recorded_at)
            VALUES (\(event.user.id), \(event.orderID.rawValue), \(event.token), \(event.activity.id), \(event.activity.sceneID),
                \(event.bonus.rewardType), \(event.bonus.amount), \(issued), \(issued.addingTimeInterval(86_400 * 30)), 'sdk', \(issued))
            """)
    }
}
