import Foundation
import MariaDB
import RewardCore
import RewardTestKit
import Testing

/// The page's figures come from the stores, and whatever the stores hold reaches the browser as text.
@Suite struct ConsolePageTests {
    @Test func figuresAreTheStoresFigures() async throws {
        try await ConsoleHarness.with("console_figures") { console in
            let pool = console.fixture.pool
            let now = Date()
            try await pool.execute("""
                INSERT INTO budgets (activity_id, reward_type, cap, issued, held, warn_percent, updated_at)
                VALUES ('fest-night', 'cash_red_envelope', 100000, 91234, 500, 80, \(now))
                """)
            try await pool.execute("""
                INSERT INTO rate_leases (scope, instance_id, fleet, heartbeat_at, joined_at, demands)
                VALUES ('lane-cash', 'host-1/abc', 'default', NOW(6), NOW(6), '{}'),
                    ('lane-goods', 'host-2/def', 'default', NOW(6) - INTERVAL 30 SECOND, NOW(6) - INTERVAL 60 SECOND, '{}')
                """)
            let run = try await pool.execute("""
                INSERT INTO reconciliation_runs (range_start, range_end, started_at, finished_at, state, grants, granted_total,
                    credits, credited_total, findings)
                VALUES (\(now.addingTimeInterval(-3600)), \(now), \(now), \(now), 'differences', 10, 1000, 9, 900, 1)
                """)
            try await pool.execute("""
                INSERT INTO reconciliation_findings (run_id, bucket_start, kind, order_id, activity_id, reward_type, user_id,
                    expected_amount, actual_amount, detail)
                VALUES (\(Int64(run.lastInsertID)), \(now), 'under_issued', 'order-77', 'fest-night', 'cash_red_envelope', 'u7', 100, 0,
                    'granted, never credited')
                """)
            for offset in 0..<3 { try await insertDeadLetter(pool, offset: Int64(offset), reason: "retries_exhausted") }
            try await insertDeadLetter(pool, offset: 10, reason: "token_unknown_key")

            let session = try await console.signIn()
            let page = try await console.send("GET", "/", cookies: session.cookies).text
            #expect(page.contains(figure("budget-issued", "fest-night/cash_red_envelope", "91234")))
            #expect(page.contains(figure("budget-held", "fest-night/cash_red_envelope", "500")))
            #expect(page.contains(#"data-figure="live-consumers" data-key="all">1<"#))
            #expect(page.contains(#"data-figure="lease-health" data-key="host-2/def"><span class="bad">silent"#))
            #expect(page.contains(#"data-figure="reconciliation-run" data-key="last">\#(run.lastInsertID)<"#))
            #expect(page.contains(">under_issued</td>"))
            #expect(page.contains(figure("dead-letters", "retries_exhausted", "3")))
            #expect(page.contains(figure("dead-letters", "token_unknown_key", "1")))
            #expect(page.contains(#"data-figure="dead-letters-total" data-key="all">4<"#))
            // No scraped daemon reports a spool: the page says so rather than showing 0.
            #expect(page.contains(#"data-figure="spool-depth" data-key="all">not reported<"#))
            // The rate limits are the consumers' file's.
            #expect(page.contains(figure("limit", "prize_partner", "2000")))
            // Kafka is not reachable here: the lag panel says so and the others still show.
            #expect(page.contains(#"<section id="lag"><h2>Lag and time to drain</h2><p class="bad" data-figure="unavailable">"#))
        }
    }

    @Test func storeTextIsEscapedAndPayloadBytesAreShownAsText() async throws {
        try await ConsoleHarness.with("console_escape") { console in
            let pool = console.fixture.pool
            let hostile = "<script>document.title='owned'</script><img src=x onerror=alert(1)>"
            let id = try await insertDeadLetter(pool, offset: 1, reason: "evil<b>code", text: hostile, payload: Array(hostile.utf8) + [0xff, 0x00])
            let session = try await console.signIn()
            let page = try await console.send("GET", "/", cookies: session.cookies).text
            #expect(page.contains("evil&lt;b&gt;code"))
            #expect(!page.contains("evil<b>"))
            #expect(!page.contains("<script"))

            let letter = try await console.send("GET", "/dead-letters/\(id)", cookies: session.cookies)
            #expect(letter.status == 200)
            #expect(!letter.text.contains("<script") && !letter.text.contains("<img"))
            #expect(letter.text.contains("&lt;script&gt;document.title=&#39;owned&#39;&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"))
            #expect(letter.text.contains("not an event we can read"))
            // Its order id, reason and origin are store text too.
            #expect(letter.text.contains(#"data-figure="dl-order">&lt;order&gt;<"#))
        }
    }

    @Test func replayPreviewDecidesAsTheReplayerWould() async throws {
        try await ConsoleHarness.with("console_preview") { console in
            let pool = console.fixture.pool
            let genuine = TestGrants.event(order: "order-ok", user: "u1", amount: 88)
            var forged = TestGrants.event(order: "order-forged", user: "u1", amount: 88)
            forged.bonus.amount = 8_800
            let ok = try await insertDeadLetter(pool, offset: 1, reason: "retries_exhausted", payload: genuine.encoded())
            let bad = try await insertDeadLetter(pool, offset: 2, reason: "retries_exhausted", payload: forged.encoded())
            let spent = try await insertDeadLetter(pool, offset: 3, reason: "retries_exhausted", payload: genuine.encoded(), replays: 3)
            let session = try await console.signIn()
            let settle = try await console.send("GET", "/dead-letters/\(ok)", cookies: session.cookies).text
            #expect(settle.contains("would settle</span> 88 cash_red_envelope to user u1"))
            let refused = try await console.send("GET", "/dead-letters/\(bad)", cookies: session.cookies).text
            #expect(refused.contains("refused: token_"))
            let atLimit = try await console.send("GET", "/dead-letters/\(spent)", cookies: session.cookies).text
            #expect(atLimit.contains("replayed 3 times (limit 3)"))
            #expect(try await console.send("GET", "/dead-letters/999999", cookies: session.cookies).status == 404)
            #expect(try await console.send("GET", "/dead-letters/x%3Cy", cookies: session.cookies).status == 404)
        }
    }

    private func figure(_ name: String, _ key: String, _ value: String) -> String {
        #"data-figure="\#(name)" data-key="\#(key)">\#(value)<"#
    }

    @discardableResult
    private func insertDeadLetter(_ pool: MariaDBPool, offset: Int64, reason: String, text: String = "parked for a test",
                                  payload: [UInt8] = Array("not an event".utf8), replays: Int64 = 0) async throws -> Int64 {
        let now = Date()
        let order = text.contains("<") ? "<order>" : "order-\(offset)"
        let result = try await pool.execute("""
            INSERT INTO dead_letters (cluster, topic, topic_partition, topic_offset, order_id, reward_type, reason_code, reason,
                payload, payload_bytes, attempts, replay_count, state, first_failed_at, last_failed_at)
            VALUES ('A', 'reward-cash', 0, \(offset), \(order), 'cash_red_envelope', \(reason), \(text), \(payload),
                \(Int64(payload.count)), 1, \(replays), 'parked', \(now), \(now))
            """)
        return Int64(result.lastInsertID)
    }
}
