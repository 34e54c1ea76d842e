import Foundation
import MariaDB
@testable import RewardConsumer
import RewardCore
import RewardTestKit
import Testing

/// The consumers' fallback write of tokens for the wallet view, against a real MariaDB.
@Suite("Consumer token recording writes only what the SDK missed")
struct ConsumerTokenRecorderTests {
    @Test("Rows the SDK wrote are looked up, never rewritten; missing ones are inserted once; a batch of known rows inserts nothing")
    func writesOnlyMissing() async throws {
        try await SettlementFixture.with("consumer-tokens") { fixture in
            let recorder = ConsumerTokenRecorder(pool: fixture.pool, keyRing: TestGrants.keyRing, logger: fixture.logger)
            let events = (0..<6).map { LaneHarness.grant(order: "ct-\($0)", user: "u\($0 % 2)", amount: Int64(100 + $0)) }
            // The SDK recorded the first three (its row says so).
            try await fixture.pool.execute("""
                INSERT INTO reward_tokens (user_id, order_id, token, activity_id, scene_id, reward_type, amount, issued_at,
                                           expires_at, recorded_by, recorded_at)
                SELECT user_id, order_id, 'sdk-token', 'fest', 's', 'cash_red_envelope', 1, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6),
                       'sdk', UTC_TIMESTAMP(6)
                FROM (SELECT 'u0' AS user_id, 'ct-0' AS order_id UNION ALL SELECT 'u1', 'ct-1' UNION ALL SELECT 'u0', 'ct-2') AS known
                """)
            // A batch repeats an event (a retried record) and carries one whose token does not parse.
            var broken = events[5]
            broken.orderID = OrderID("ct-broken")
            broken.token = "not-a-token"
            await recorder.record(events + [events[4], broken])

            let rows = try await fixture.pool.query("SELECT order_id, recorded_by, amount FROM reward_tokens ORDER BY order_id")
            let byOrder = Dictionary(uniqueKeysWithValues: try rows.map { row -> (String, String) in
                (try row.decode("order_id"), try row.decode("recorded_by"))
            })
            #expect(byOrder == ["ct-0": "sdk", "ct-1": "sdk", "ct-2": "sdk", "ct-3": "consumer", "ct-4": "consumer", "ct-5": "consumer"])
            #expect(recorder.statistics == .init(lookups: 1, inserts: 1, rowsInserted: 3, failures: 0))

            // Everything known now: the next batch of the same events only looks.
            await recorder.record(events)
            #expect(recorder.statistics == .init(lookups: 2, inserts: 1, rowsInserted: 3, failures: 0))
            #expect(try await fixture.count("SELECT COUNT(*) FROM reward_tokens") == 6)
        }
    }
}
