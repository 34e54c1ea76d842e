import Foundation
import RewardStores
import RewardTestKit
import Testing

/// Control changes through the page: shown before they are written, recorded under the signed-in
/// operator's name, and refused without the session's CSRF token, a reason, or a current version.
@Suite struct ConsoleSwitchTests {
    @Test func aChangeIsPreviewedThenRecordedUnderTheOperatorsName() async throws {
        try await ConsoleHarness.with("console_switch") { console in
            let store = ControlStore(pool: console.fixture.pool)
            let alice = try await console.signIn("alice")
            let page = try await console.send("GET", "/", cookies: alice.cookies).text
            #expect(page.contains(#"data-figure="control" data-key="withdrawals">on<"#))
            #expect(page.contains(#"data-figure="control" data-key="type:coupon_10off">on<"#))

            let change = ["key": "withdrawals", "value": "off", "reason": "payout partner down", "version": "0", "csrf": alice.csrf]
            let preview = try await console.send("POST", "/controls/preview", cookies: alice.cookies, form: change)
            #expect(preview.status == 200)
            #expect(preview.text.contains(#"data-figure="confirm-key">withdrawals<"#))
            #expect(preview.text.contains(#"data-figure="confirm-value">off<"#))
            #expect(try await store.state().version == 0, "a preview writes nothing")

            let applied = try await console.send("POST", "/controls/apply", cookies: alice.cookies, form: change)
            #expect(applied.status == 303 && applied.location == "/?applied=1#switches")
            let state = try await store.state()
            #expect(state.version == 1 && state.value(.withdrawals) == 0)
            let recorded = try #require(try await store.history(limit: 1).first)
            #expect(recorded.changedBy == "alice" && recorded.reason == "payout partner down")

            let after = try await console.send("GET", "/?applied=1", cookies: alice.cookies).text
            #expect(after.contains(#"data-figure="control-applied">change recorded as version 1<"#))
            #expect(after.contains(#"data-figure="control-history-by" data-key="1">alice<"#))
            #expect(after.contains(#"data-figure="control" data-key="withdrawals">off<"#))
        }
    }

    @Test func changesWithoutTokenReasonOrCurrentVersionWriteNothing() async throws {
        try await ConsoleHarness.with("console_switch_refused") { console in
            let store = ControlStore(pool: console.fixture.pool)
            let alice = try await console.signIn("alice")
            let change = ["key": "rate:prize_partner", "value": "500", "reason": "partner asks for less", "version": "0"]

            #expect(try await console.send("POST", "/controls/apply", form: change.merging(["csrf": alice.csrf]) { $1 }).status == 401)
            #expect(try await console.send("POST", "/controls/apply", cookies: alice.cookies, form: change).status == 403)
            let bob = try await console.signIn("bob")
            #expect(try await console.send("POST", "/controls/apply", cookies: alice.cookies,
                                           form: change.merging(["csrf": bob.csrf]) { $1 }).status == 403)
            let noReason = try await console.send("POST", "/controls/apply", cookies: alice.cookies,
                                                  form: change.merging(["csrf": alice.csrf, "reason": " "]) { $1 })
            #expect(noReason.status == 400)
            let badValue = try await console.send("POST", "/controls/apply", cookies: alice.cookies,
                                                  form: change.merging(["csrf": alice.csrf, "value": "lots"]) { $1 })
            #expect(badValue.status == 400)
            let hostile = try await console.send("POST", "/controls/preview", cookies: alice.cookies,
                                                 form: change.merging(["csrf": alice.csrf, "key": "activity:<script>"]) { $1 })
            #expect(hostile.status == 400 && !hostile.text.contains("<script>"))
            #expect(try await store.state().version == 0)

            // Someone else changed a control meanwhile: the change based on version 0 is refused.
            _ = try await store.set(.walletReduced, to: 1, by: "bob", reason: "database is hot", expectedVersion: 0)
            let stale = try await console.send("POST", "/controls/apply", cookies: alice.cookies, form: change.merging(["csrf": alice.csrf]) { $1 })
            #expect(stale.status == 409)
            let state = try await store.state()
            #expect(state.version == 1 && state.value(.fleetRate("prize_partner")) == nil)
        }
    }
}
