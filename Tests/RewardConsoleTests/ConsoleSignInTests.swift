import Foundation
import RewardTestKit
import Testing

/// Sign-in, sessions and CSRF over HTTP against a real console on loopback and a real MariaDB.
@Suite struct ConsoleSignInTests {
    @Test func requestsWithoutASessionAreRefused() async throws {
        try await ConsoleHarness.with("console_refused") { console in
            let page = try await console.send("GET", "/")
            #expect(page.status == 303 && page.location == "/signin")
            let letter = try await console.send("GET", "/dead-letters/1")
            #expect(letter.status == 303 && letter.location == "/signin")
            let signOut = try await console.send("POST", "/signout", form: ["csrf": String(repeating: "0", count: 64)])
            #expect(signOut.status == 401)
            let forged = try await console.send("GET", "/", cookies: ["reward_console_session": String(repeating: "a", count: 64)])
            #expect(forged.status == 303)
        }
    }

    @Test func signInNeedsTheFormsTokenAndTheOperatorsOwnToken() async throws {
        try await ConsoleHarness.with("console_signin") { console in
            let form = try await console.send("GET", "/signin")
            let token = try #require(form.cookie("reward_console_signin"))
            #expect(ConsoleHarness.csrf(in: form.text) == token)

            // No sign-in cookie (a form posted from another site): refused before the token is looked at.
            let crossSite = try await console.send("POST", "/signin", form: ["operator": "alice", "token": ConsoleHarness.operators["alice"]!,
                                                                              "csrf": token])
            #expect(crossSite.status == 403 && crossSite.cookie("reward_console_session") == nil)

            let wrong = try await console.send("POST", "/signin", cookies: ["reward_console_signin": token],
                                               form: ["operator": "alice", "token": ConsoleHarness.operators["bob"]!, "csrf": token])
            #expect(wrong.status == 401 && wrong.cookie("reward_console_session") == nil)
            #expect(wrong.text.contains("unknown operator or wrong token"))

            let right = try await console.send("POST", "/signin", cookies: ["reward_console_signin": token],
                                               form: ["operator": "alice", "token": ConsoleHarness.operators["alice"]!, "csrf": token])
            #expect(right.status == 303 && right.location == "/")
            let line = try #require(right.setCookies.first { $0.hasPrefix("reward_console_session=") })
            #expect(line.contains("HttpOnly") && line.contains("SameSite=Strict") && line.contains("Path=/"))
            let session = try #require(right.cookie("reward_console_session"))
            #expect(session.count == 64 && !session.contains("alice"))

            let page = try await console.send("GET", "/", cookies: ["reward_console_session": session])
            #expect(page.status == 200)
            #expect(page.text.contains(#"data-figure="operator">alice<"#))
        }
    }

    @Test func aPostWithoutTheSessionsCSRFTokenChangesNothing() async throws {
        try await ConsoleHarness.with("console_csrf") { console in
            let alice = try await console.signIn("alice")
            let bob = try await console.signIn("bob")
            let missing = try await console.send("POST", "/signout", cookies: alice.cookies, form: [:])
            #expect(missing.status == 403)
            let othersToken = try await console.send("POST", "/signout", cookies: alice.cookies, form: ["csrf": bob.csrf])
            #expect(othersToken.status == 403)
            #expect(try await console.send("GET", "/", cookies: alice.cookies).status == 200)

            let signOut = try await console.send("POST", "/signout", cookies: alice.cookies, form: ["csrf": alice.csrf])
            #expect(signOut.status == 303 && signOut.location == "/signin")
            #expect(try await console.send("GET", "/", cookies: alice.cookies).status == 303)
            #expect(try await console.send("GET", "/", cookies: bob.cookies).status == 200)
        }
    }
}
