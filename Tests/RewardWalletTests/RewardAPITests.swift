import Foundation
import RewardAPI
import RewardTestKit
import Testing

@Suite("reward-api on a real loopback server")
struct RewardAPITests {
    @Test("Every endpoint: grant, wallet, withdrawal, retry, health, metrics, and their error codes")
    func endpoints() async throws {
        try await APIHarness.with("api_endpoints") { api in
            let health = try await api.send("GET", "/healthz")
            #expect(health.status == 200)
            #expect(health.json["status"] as? String == "ok")
            #expect(try await api.send("GET", "/metrics").status == 200)
            // Not ready until the SDK client has started; then ready, naming the clusters.
            let early = try await api.send("GET", "/readyz")
            #expect(early.status == 503 && early.json["status"] as? String == "not_ready", "\(early.text)")
            #expect(early.json["clusters"] as? String == "none" && early.json["database"] as? String == "ok", "\(early.text)")
            try await api.client.start(timeout: .seconds(20))
            let ready = try await api.send("GET", "/readyz")
            #expect(ready.status == 200 && ready.json["status"] as? String == "ready", "\(ready.text)")
            #expect(ready.json["clusters"] as? String == "A,B", "\(ready.text)")

            let granted = try await api.send("POST", "/v1/bonus", json: APIHarness.grant(order: "api-1", user: "jo", amount: 700),
                                             sign: true)
            #expect(granted.status == 200)
            let token = try #require(granted.json["token"] as? String)
            // The token is recorded with the service that signed the request.
            try await eventually(.seconds(10), "token recorded") {
                try await api.wallet.fixture.count("SELECT COUNT(*) FROM reward_tokens WHERE order_id = 'api-1' AND granted_by = 'games'") == 1
            }

            // The SDK's field errors, unchanged.
            let unknown = try await api.send("POST", "/v1/bonus", json: APIHarness.grant(order: "api-2", user: "jo", amount: 1,
                                                                                       type: "no_such_type"), sign: true)
            #expect(unknown.status == 400)
            #expect(unknown.code == "unknown_reward_type")
            let badUser = try await api.send("POST", "/v1/bonus", json: APIHarness.grant(order: "api-3", user: "", amount: 1), sign: true)
            #expect(badUser.code == "invalid_user_id")
            let range = try await api.send("POST", "/v1/bonus", json: APIHarness.grant(order: "api-4", user: "jo", amount: 999_999),
                                           sign: true)
            #expect(range.code == "amount_out_of_range")
            // Outside the service's scope: another activity, a type it may not grant, more than its largest grant.
            for (grant, words) in [
                (APIHarness.grant(order: "api-5", user: "jo", amount: 1, activity: "other-campaign"), "activity other-campaign"),
                (APIHarness.grant(order: "api-6", user: "jo", amount: 1, type: "coin_lucky"), "reward type coin_lucky"),
                (APIHarness.grant(order: "api-7", user: "jo", amount: 1_000_001), "at most 1000000"),
            ] {
                let refused = try await api.send("POST", "/v1/bonus", json: grant, sign: true)
                #expect(refused.status == 403)
                #expect(refused.code == "grant_out_of_scope")
                #expect((refused.json["message"] as? String ?? "").contains(words), "\(refused.text)")
            }
            let notJSON = try await api.send("POST", "/v1/bonus", raw: Array("{nope".utf8), sign: true)
            #expect(notJSON.status == 400)
            #expect(notJSON.code == "invalid_json")

            // Withdraw with the token the grant returned (the consumers have not run: forced settlement).
            let presented: [String: Any] = ["token": token, "orderID": "api-1", "rewardType": "cash_red_envelope", "amount": 700,
                                            "activityID": "fest", "sceneID": "rain"]
            let withdrawal: [String: Any] = ["requestID": "jo-wd-1", "amount": 500, "currency": "CNY", "tokens": [presented]]
            let paid = try await api.send("POST", "/v1/users/jo/withdrawals", json: withdrawal, user: "jo")
            #expect(paid.status == 200, "\(paid.text.prefix(300))")
            #expect(paid.json["status"] as? String == "paid_out")
            #expect((paid.json["settled"] as? [Any])?.count == 1)
            let again = try await api.send("POST", "/v1/users/jo/withdrawals", json: withdrawal, user: "jo")
            #expect(again.status == 200)
            #expect(again.json["replayed"] as? Bool == true)

            let view = try await api.send("GET", "/v1/users/jo/wallet?limit=10", user: "jo")
            #expect(view.status == 200)
            let balances = view.json["balances"] as? [[String: Any]]
            #expect(balances?.first?["balance"] as? Int == 200)
            #expect((view.json["history"] as? [Any])?.count == 2, "the reward and the withdrawal")

            let short = try await api.send("POST", "/v1/users/jo/withdrawals",
                                           json: ["requestID": "jo-wd-2", "amount": 5_000, "currency": "CNY"], user: "jo")
            #expect(short.status == 409)
            #expect(short.code == "insufficient_funds")
            #expect((short.json["receipt"] as? [String: Any])?["status"] as? String == "refused")
            let reused = try await api.send("POST", "/v1/users/jo/withdrawals",
                                            json: ["requestID": "jo-wd-1", "amount": 1, "currency": "CNY"], user: "jo")
            #expect(reused.status == 409)
            #expect(reused.code == "request_id_reused")
            let currency = try await api.send("POST", "/v1/users/jo/withdrawals",
                                              json: ["requestID": "jo-wd-3", "amount": 1, "currency": "XYZ"], user: "jo")
            #expect(currency.status == 400)
            #expect(currency.code == "invalid_currency")
            let badLimit = try await api.send("GET", "/v1/users/jo/wallet?limit=abc", user: "jo")
            #expect(badLimit.code == "invalid_limit")
            let badCursor = try await api.send("GET", "/v1/users/jo/wallet?cursor=zzz", user: "jo")
            #expect(badCursor.code == "invalid_cursor")

            let missing = try await api.send("GET", "/v1/nothing-here")
            #expect(missing.status == 404)
            #expect(missing.code == "not_found")
        }
    }

    @Test("Auth failures, a replayed signed request, oversized bodies and the per-caller limit")
    func refusals() async throws {
        try await APIHarness.with("api_refusals", configure: { $0.callerBurst = 5; $0.callerPeriod = .seconds(60) }) { api in
            let grant = APIHarness.grant(order: "sig-1", user: "kim", amount: 100)
            #expect(try await api.send("POST", "/v1/bonus", json: grant).code == "missing_signature")
            // An unknown service gets the same answer as a wrong signature: ids cannot be probed.
            #expect(try await api.send("POST", "/v1/bonus", json: grant, sign: true, service: "stranger").code == "invalid_signature")
            #expect(try await api.send("POST", "/v1/bonus", json: grant, sign: true, secret: [UInt8](repeating: 1, count: 32)).code
                == "invalid_signature")
            let stale = try await api.send("POST", "/v1/bonus", json: grant, sign: true, timestamp: Int64(Date().timeIntervalSince1970) - 3_600)
            #expect(stale.status == 401)
            #expect(stale.code == "stale_timestamp")

            // The same signed request twice: the second is a replay.
            let body = [UInt8](try JSONSerialization.data(withJSONObject: grant))
            let time = Int64(Date().timeIntervalSince1970)
            let signature = RequestSignature.sign(method: "POST", path: "/v1/bonus", service: APIHarness.service, timestamp: time,
                                                  body: body, secret: APIHarness.secret)
            let headers = [(RequestSignature.serviceHeader, APIHarness.service), (RequestSignature.timestampHeader, "\(time)"),
                           (RequestSignature.signatureHeader, signature)]
            let first = try await api.send("POST", "/v1/bonus", raw: body, headers: headers)
            #expect(first.status == 200)
            let replayed = try await api.send("POST", "/v1/bonus", raw: body, headers: headers)
            #expect(replayed.status == 401)
            #expect(replayed.code == "replayed_request")

            let oversized = try await api.send("POST", "/v1/bonus", raw: [UInt8](repeating: UInt8(ascii: "a"), count: 64 * 1024), sign: true)
            #expect(oversized.status == 413)
            #expect(oversized.code == "payload_too_large")

            #expect(try await api.send("GET", "/v1/users/kim/wallet").code == "missing_user")
            let other = try await api.send("GET", "/v1/users/kim/wallet", user: "lee")
            #expect(other.status == 403)
            #expect(other.code == "forbidden_user")

            var statuses: [Int] = []
            for _ in 0..<7 {
                let answer = try await api.send("GET", "/v1/users/max/wallet", user: "max")
                statuses.append(answer.status)
            }
            #expect(statuses.filter { $0 == 200 }.count == 5)
            #expect(statuses.suffix(2) == [429, 429])
        }
    }

    @Test("Tokens granted over POST /v1/bonus, altered in each bound field or shown by another user, never pay at withdrawal")
    func grantedThenAltered() async throws {
        try await APIHarness.with("api_gate") { api in
            var tokens: [String: String] = [:]
            for (order, user) in [("gate-kim", "kim"), ("gate-lee", "lee")] {
                let granted = try await api.send("POST", "/v1/bonus", json: APIHarness.grant(order: order, user: user, amount: 800), sign: true)
                #expect(granted.status == 200)
                tokens[order] = granted.json["token"] as? String
            }
            let kim = try #require(tokens["gate-kim"]), lee = try #require(tokens["gate-lee"])
            try await eventually(.seconds(10), "tokens recorded") {
                try await api.wallet.fixture.count("SELECT COUNT(*) FROM reward_tokens WHERE order_id LIKE 'gate-%'") == 2
            }
            func presented(_ token: String, order: String = "gate-kim", type: String = "cash_red_envelope", amount: Int = 800,
                           activity: String = "fest") -> [String: Any] {
                ["token": token, "orderID": order, "rewardType": type, "amount": amount, "activityID": activity, "sceneID": "rain"]
            }
            // A presented copy of a stored token is judged with the stored activity, whatever the
            // client names (nil: taken as the stored grant, no refusal and nothing extra).
            let altered: [([String: Any], String?)] = [
                (presented(kim, activity: "fest-other"), nil),
                (presented(kim, amount: 80_000), "token_amount_mismatch"),
                (presented(kim, order: "gate-kim-2"), "token_signature_mismatch"),
                (presented(kim, order: "gate-kim-2", activity: "fest-other"), "token_signature_mismatch"),
                (presented(kim, type: "coupon_10off", amount: 1), "token_signature_mismatch"),
                (presented(lee, order: "gate-lee"), "token_signature_mismatch"),
            ]
            let refused = try await api.send("POST", "/v1/users/kim/withdrawals",
                                             json: ["requestID": "gate-1", "amount": 1, "currency": "CNY", "tokens": altered.map(\.0)],
                                             user: "kim")
            // Kim's stored genuine token settles and pays this one unit; the altered ones are refused.
            #expect(refused.status == 200, "\(refused.text.prefix(600))")
            let receipt = refused.json
            let rejected = (receipt["rejected"] as? [[String: Any]]) ?? []
            for (index, (_, reason)) in altered.enumerated() {
                let found = rejected.first { $0["index"] as? Int == index }
                #expect(found?["reason"] as? String == reason, "presented \(index): \(refused.text.prefix(600))")
            }
            #expect(try await api.wallet.fixture.count(
                "SELECT COUNT(*) FROM wallet_entries WHERE account = 'kim' AND order_id <> 'gate-kim'") == 0)
            #expect(try await api.wallet.fixture.count("SELECT COUNT(*) FROM wallet_entries WHERE account = 'lee'") == 0,
                    "lee's token shown by kim paid nobody")
            // The genuine token, unaltered, pays: 800 in all, whichever withdrawal settled it.
            let rest = 799
            let paid = try await api.send("POST", "/v1/users/kim/withdrawals",
                                          json: ["requestID": "gate-2", "amount": rest, "currency": "CNY", "tokens": [presented(kim)]],
                                          user: "kim")
            #expect(paid.status == 200, "\(paid.text.prefix(400))")
            #expect(try await api.wallet.balance("kim") == 0)
        }
    }

    @Test("The wallet endpoint answers from the ledger, flagged, while the tokens table is unavailable")
    func walletWithoutTokens() async throws {
        try await APIHarness.with("api_degraded") { api in
            let grants = (0..<2).map { WalletHarness.freshGrant(order: "deg-\($0)", user: "ned", amount: 60) }
            try await api.wallet.recordTokens(grants)
            #expect(await api.wallet.settle(grants).allSatisfy(\.isSettled))
            try await api.wallet.fixture.pool.executeScript("RENAME TABLE reward_tokens TO reward_tokens_offline")
            let view = try await api.send("GET", "/v1/users/ned/wallet", user: "ned")
            try await api.wallet.fixture.pool.executeScript("RENAME TABLE reward_tokens_offline TO reward_tokens")
            #expect(view.status == 200)
            #expect(view.json["degraded"] as? [String] == ["tokens"])
            #expect((view.json["history"] as? [Any])?.count == 2)
        }
    }
}
