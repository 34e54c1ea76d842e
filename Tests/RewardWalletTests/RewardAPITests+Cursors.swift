import Foundation
import RewardAPI
import RewardTestKit
import Testing

/// Wallet cursors and page sizes over HTTP: anything the service did not hand out, or whose
/// numbers are out of range, is a 400 with its own code, never a 503 or a trap (issue 10).
extension RewardAPITests {
    /// `h1.` + base64url, as the wallet makes its cursors (here around any text at all).
    static func cursor(_ text: String) -> String {
        cursor(bytes: Array(text.utf8))
    }

    static func cursor(bytes: [UInt8]) -> String {
        "h1." + Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func query(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")) ?? ""
    }

    @Test("A cursor the service did not make, or whose time, rank or id is out of range, is 400 invalid_cursor")
    func hostileCursors() async throws {
        try await APIHarness.with("api_cursors") { api in
            let grants = (0..<3).map { WalletHarness.freshGrant(order: "cy-\($0)", user: "cy", amount: 10) }
            try await api.wallet.recordTokens(grants)
            // A genuine cursor still pages.
            let first = try await api.send("GET", "/v1/users/cy/wallet?limit=1", user: "cy")
            let next = try #require(first.json["nextCursor"] as? String, "\(first.text.prefix(300))")
            let second = try await api.send("GET", "/v1/users/cy/wallet?limit=1&cursor=\(Self.query(next))", user: "cy")
            #expect(second.status == 200, "\(second.text.prefix(300))")
            #expect((second.json["history"] as? [Any])?.count == 1)

            let genuine = String(next.dropFirst(3))
            var hostile: [(String, String)] = [
                // Times no DATETIME holds: binding them failed, which answered 503 wallet_unavailable.
                ("year 33658", Self.cursor("999999999999999999|1|5")),
                ("Int64.max micros", Self.cursor("9223372036854775807|0|cy-1")),
                ("Int64.min micros", Self.cursor("-9223372036854775808|2|1")),
                ("before year 0", Self.cursor("-99999999999999999|1|1")),
                ("rounds into year 10000", Self.cursor("253402300799999999|1|1")),
                // Times that bind but no row can have (before 1000-01-01).
                ("year 500", Self.cursor("-46388678400000000|1|1")),
                // Ids that no row has.
                ("token id with a space", Self.cursor("1700000000000000|0|cy 1")),
                ("token id with NUL", Self.cursor("1700000000000000|0|cy\u{0}1")),
                ("token id of 129 bytes", Self.cursor("1700000000000000|0|" + String(repeating: "a", count: 129))),
                ("token id of emoji", Self.cursor("1700000000000000|0|💸")),
                ("row id not a number", Self.cursor("1700000000000000|1|x")),
                ("row id over UInt64", Self.cursor("1700000000000000|1|18446744073709551616")),
                ("negative row id", Self.cursor("1700000000000000|2|-1")),
                ("rank 3", Self.cursor("1700000000000000|3|1")),
                ("rank -0", Self.cursor("1700000000000000|-0|1")),
                ("rank +1", Self.cursor("1700000000000000|+1|1")),
                ("signed time", Self.cursor("+1700000000000000|1|1")),
                ("leading zeros", Self.cursor("01700000000000000|1|1")),
                ("missing field", Self.cursor("1700000000000000|1")),
                ("empty id", Self.cursor("1700000000000000|1|")),
                // Encodings this service never writes.
                ("standard alphabet", "h1." + Data("1700000000000000|0|cy-1>?".utf8).base64EncodedString()),
                ("not base64", "h1.***"),
                ("not UTF-8 inside", Self.cursor(bytes: [0xff, 0xfe, 0x7c, 0x31, 0x7c, 0x31])),
                ("other version", "h2." + genuine),
                ("too long", "h1." + String(repeating: "A", count: 500)),
                ("empty", ""),
            ]
            let padding = (4 - genuine.utf8.count % 4) % 4
            if padding > 0 { hostile.append(("padded", "h1." + genuine + String(repeating: "=", count: padding))) }
            for (label, cursor) in hostile {
                let answer = try await api.send("GET", "/v1/users/cy/wallet?cursor=\(Self.query(cursor))", user: "cy")
                #expect(answer.status == 400 && answer.code == "invalid_cursor", "\(label): \(answer.status) \(answer.text.prefix(200))")
                #expect((answer.json["message"] as? String)?.isEmpty == false, "\(label)")
            }
            // Stray low bits in the last character decode to the same bytes: still not a text we made.
            if let last = genuine.last, let flipped = Self.strayBits(last) {
                let answer = try await api.send("GET", "/v1/users/cy/wallet?cursor=\(Self.query("h1." + genuine.dropLast() + String(flipped)))",
                                                user: "cy")
                #expect(answer.code == "invalid_cursor", "stray bits: \(answer.status) \(answer.text.prefix(200))")
            }
        }
    }

    /// The base64url character with the same high bits and other low bits, when the last character
    /// of a cursor carries padding bits.
    static func strayBits(_ character: Character) -> Character? {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        guard let index = alphabet.firstIndex(of: character) else { return nil }
        return alphabet[index ^ 1]
    }

    @Test("Page sizes outside 1-100, or not a whole number, are 400 invalid_limit")
    func hostileLimits() async throws {
        try await APIHarness.with("api_limits") { api in
            for limit in ["0", "-1", "101", "99999999999999999999", "-9223372036854775809", "9223372036854775807", "abc", "", "1.5",
                          "1e2", " 5", "5 ", "0x10", "٣"] {
                let answer = try await api.send("GET", "/v1/users/lu/wallet?limit=\(Self.query(limit))", user: "lu")
                #expect(answer.status == 400 && answer.code == "invalid_limit", "limit '\(limit)': \(answer.status) \(answer.text.prefix(200))")
            }
            for limit in ["1", "100"] {
                let answer = try await api.send("GET", "/v1/users/lu/wallet?limit=\(limit)", user: "lu")
                #expect(answer.status == 200, "limit \(limit): \(answer.text.prefix(200))")
            }
        }
    }
}
