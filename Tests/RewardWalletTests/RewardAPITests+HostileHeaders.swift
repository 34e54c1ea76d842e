import Foundation
import RewardAPI
import RewardTestKit
import Testing

/// Hostile values in the headers reward-api trusts or checks (issue 10).
extension RewardAPITests {
    @Test("A malformed X-Reward-User is 400 invalid_user_id before the rate limiter tracks it")
    func hostileUserHeaders() async throws {
        try await APIHarness.with("api_user_headers", configure: { $0.maximumTrackedCallers = 2 }) { api in
            // Ids no user has: before, each took one of the limiter's two slots, and then a real user was refused.
            for user in [String(repeating: "u", count: 65), String(repeating: "v", count: 66)] {
                let path = "/v1/users/\(Self.query(user))/wallet"
                let answer = try await api.send("GET", path, user: user)
                #expect(answer.status == 400 && answer.code == "invalid_user_id", "'\(user.prefix(8))': \(answer.status) \(answer.text.prefix(200))")
            }
            let real = try await api.send("GET", "/v1/users/jo/wallet", user: "jo")
            #expect(real.status == 200, "\(real.status) \(real.text.prefix(200))")

            // The same header twice is one malformed value, not another user.
            let twice = try await api.send("GET", "/v1/users/jo/wallet", user: "jo", headers: [("X-Reward-User", "jo")])
            #expect(twice.status == 400 && twice.code == "invalid_user_id", "\(twice.status) \(twice.text.prefix(200))")
            let spaced = try await api.send("GET", "/v1/users/a%20b/wallet", user: "a b")
            #expect(spaced.status == 400 && spaced.code == "invalid_user_id", "\(spaced.status) \(spaced.text.prefix(200))")
            let withdrawal = try await api.send("POST", "/v1/users/a%20b/withdrawals",
                                                json: ["requestID": "w1", "amount": 1, "currency": "CNY"], user: "a b")
            #expect(withdrawal.status == 400 && withdrawal.code == "invalid_user_id", "\(withdrawal.text.prefix(200))")
        }
    }

    @Test("Hostile signature headers and a missing gateway key are 401 with their codes")
    func hostileSignatureHeaders() async throws {
        try await APIHarness.with("api_sig_headers", configure: { $0.gatewayKey = "gateway-secret" }) { api in
            let grant = APIHarness.grant(order: "hs-1", user: "jo", amount: 5)
            let body = [UInt8](try JSONSerialization.data(withJSONObject: grant))
            let now = Int64(Date().timeIntervalSince1970)
            let good = RequestSignature.sign(method: "POST", path: "/v1/bonus", service: APIHarness.service, timestamp: now, body: body,
                                             secret: APIHarness.secret)
            let cases: [(String, [(String, String)], String)] = [
                ("timestamp over Int64", [("X-Reward-Service", "games"), ("X-Reward-Timestamp", "99999999999999999999"),
                                          ("X-Reward-Signature", good)], "stale_timestamp"),
                ("negative timestamp", [("X-Reward-Service", "games"), ("X-Reward-Timestamp", "-\(now)"), ("X-Reward-Signature", good)],
                 "stale_timestamp"),
                ("two timestamps", [("X-Reward-Service", "games"), ("X-Reward-Timestamp", "\(now)"), ("X-Reward-Timestamp", "\(now)"),
                                    ("X-Reward-Signature", good)], "stale_timestamp"),
                ("two services", [("X-Reward-Service", "games"), ("X-Reward-Service", "games"), ("X-Reward-Timestamp", "\(now)"),
                                  ("X-Reward-Signature", good)], "invalid_signature"),
                ("a 60 KiB signature", [("X-Reward-Service", "games"), ("X-Reward-Timestamp", "\(now)"),
                                        ("X-Reward-Signature", String(repeating: "a", count: 60 * 1024))], "invalid_signature"),
                ("signature not hex", [("X-Reward-Service", "games"), ("X-Reward-Timestamp", "\(now)"),
                                       ("X-Reward-Signature", String(repeating: "z", count: 64))], "invalid_signature"),
                ("service of 10 KiB", [("X-Reward-Service", String(repeating: "s", count: 10 * 1024)), ("X-Reward-Timestamp", "\(now)"),
                                       ("X-Reward-Signature", good)], "invalid_signature"),
            ]
            for (label, headers, code) in cases {
                let answer = try await api.send("POST", "/v1/bonus", raw: body, headers: headers)
                #expect(answer.status == 401 && answer.code == code, "\(label): \(answer.status) \(answer.text.prefix(200))")
            }
            let noKey = try await api.send("GET", "/v1/users/jo/wallet", user: "jo")
            #expect(noKey.status == 401 && noKey.code == "untrusted_gateway")
            let twoKeys = try await api.send("GET", "/v1/users/jo/wallet", user: "jo",
                                             headers: [("X-Reward-Gateway-Key", "gateway-secret"), ("X-Reward-Gateway-Key", "gateway-secret")])
            #expect(twoKeys.status == 401 && twoKeys.code == "untrusted_gateway")
            let keyed = try await api.send("GET", "/v1/users/jo/wallet", user: "jo", headers: [("X-Reward-Gateway-Key", "gateway-secret")])
            #expect(keyed.status == 200, "\(keyed.text.prefix(200))")
        }
    }
}
