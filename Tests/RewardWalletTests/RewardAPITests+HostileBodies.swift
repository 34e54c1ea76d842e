import Foundation
import RewardAPI
import RewardTestKit
import Testing

/// Request bodies of the wrong shape: a 400 naming the field, never a 5xx (issue 10).
extension RewardAPITests {
    @Test("Wrong JSON types, overflowing numbers, bad UTF-8 and deep nesting are 400 invalid_json naming the field")
    func hostileJSON() async throws {
        try await APIHarness.with("api_json") { api in
            func bonus(amount: String, extensions: String = "{}", activity: String = "fest") -> [UInt8] {
                Array("""
                    {"activity":{"id":"\(activity)","sceneID":"rain"},"user":{"id":"jo","deviceID":"d","appID":"app"},\
                    "bonus":{"rewardType":"cash_red_envelope","amount":\(amount),"extensions":\(extensions)},"orderID":"js-\(UUID().uuidString)"}
                    """.utf8)
            }
            let bonusCases: [(String, [UInt8], String)] = [
                ("amount over Int64", bonus(amount: "9223372036854775808"), "bonus.amount"),
                ("amount under Int64", bonus(amount: "-9223372036854775809"), "bonus.amount"),
                ("amount 1e400", bonus(amount: "1e400"), ""),
                ("amount a string", bonus(amount: "\"5\""), "bonus.amount"),
                ("amount null", bonus(amount: "null"), "bonus.amount"),
                ("amount a fraction", bonus(amount: "1.5"), "bonus.amount"),
                ("amount an array", bonus(amount: "[1]"), "bonus.amount"),
                ("extension value a number", bonus(amount: "5", extensions: #"{"k":5}"#), "bonus.extensions.k"),
                ("extensions an array", bonus(amount: "5", extensions: "[]"), "bonus.extensions"),
                ("body an array", Array("[]".utf8), "the body"),
                ("body a string", Array(#""bonus""#.utf8), "the body"),
                ("missing bonus", Array(#"{"activity":{"id":"fest","sceneID":"rain"},"user":{"id":"jo","deviceID":"d","appID":"app"},"orderID":"x"}"#.utf8),
                 "bonus"),
                ("invalid UTF-8", [0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d], ""),
                ("nested 15,000 deep", Array(String(repeating: "[", count: 15_000).utf8), ""),
                ("empty", [], ""),
            ]
            for (label, body, field) in bonusCases {
                let answer = try await api.send("POST", "/v1/bonus", raw: body, sign: true)
                #expect(answer.status == 400 && answer.code == "invalid_json", "\(label): \(answer.status) \(answer.text.prefix(200))")
                let message = answer.json["message"] as? String ?? ""
                #expect(field.isEmpty || message.contains(field), "\(label): \(message)")
                #expect(!message.contains("\u{FFFD}") && message.utf8.count < 300, "\(label): the message does not echo the body")
            }
            // Malformed grant fields are the SDK's field errors, checked before the service's scope.
            for (activity, code) in [("", "invalid_activity_id"), ("fest x", "invalid_activity_id"), ("fest\\u0000", "invalid_activity_id")] {
                let answer = try await api.send("POST", "/v1/bonus", raw: bonus(amount: "5", activity: activity), sign: true)
                #expect(answer.status == 400 && answer.code == code, "activity '\(activity)': \(answer.status) \(answer.text.prefix(200))")
            }

            let withdrawalCases: [(String, String, String)] = [
                ("amount over Int64", #"{"requestID":"w1","amount":9223372036854775808,"currency":"CNY"}"#, "amount"),
                ("amount a string", #"{"requestID":"w1","amount":"5","currency":"CNY"}"#, "amount"),
                ("request id a number", #"{"requestID":5,"amount":5,"currency":"CNY"}"#, "requestID"),
                ("tokens an object", #"{"requestID":"w1","amount":5,"currency":"CNY","tokens":{}}"#, "tokens"),
                ("token amount over Int64", """
                    {"requestID":"w1","amount":5,"currency":"CNY","tokens":[{"token":"t","orderID":"o","rewardType":"r",\
                    "amount":18446744073709551616,"activityID":"a","sceneID":"s"}]}
                    """, "tokens[0].amount"),
                ("token missing fields", #"{"requestID":"w1","amount":5,"currency":"CNY","tokens":[{}]}"#, "tokens[0]"),
            ]
            for (label, body, field) in withdrawalCases {
                let answer = try await api.send("POST", "/v1/users/jo/withdrawals", raw: Array(body.utf8), user: "jo")
                #expect(answer.status == 400 && answer.code == "invalid_json", "\(label): \(answer.status) \(answer.text.prefix(200))")
                #expect((answer.json["message"] as? String ?? "").contains(field), "\(label): \(answer.text.prefix(300))")
            }
            let negative = try await api.send("POST", "/v1/users/jo/withdrawals",
                                              json: ["requestID": "w2", "amount": Int64.min, "currency": "CNY"], user: "jo")
            #expect(negative.status == 400 && negative.code == "invalid_amount", "\(negative.text.prefix(200))")
            let huge = try await api.send("POST", "/v1/users/jo/withdrawals",
                                          json: ["requestID": "w3", "amount": Int64.max, "currency": "CNY"], user: "jo")
            #expect(huge.status == 409 && huge.code == "insufficient_funds", "\(huge.text.prefix(200))")
            #expect(try await api.send("GET", "/healthz").status == 200, "the server still answers")
        }
    }
}
