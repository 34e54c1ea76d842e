import Foundation
import RewardAPI
import RewardCore
import RewardSDK
import RewardWallet

/// The generated seed corpus (`reward-fuzz seed`): genuine inputs of every format and version,
/// and the edge cases next to them. Deterministic: the same build writes the same files.
enum Seeds {
    static func corpus(_ target: FuzzTarget) -> [(name: String, bytes: [UInt8])] {
        switch target {
        case .token: tokens()
        case .bonusEvent: events()
        case .signedRequest: requests()
        case .walletCursor: cursors()
        case .spoolSegment: segments()
        }
    }

    // MARK: token

    static func mint(_ grant: BonusEvent, version: RewardToken.Version = .v2, key: UInt8 = 2, issuedAt: Date? = nil,
                     amount: Int64? = nil) -> RewardToken {
        FuzzFixture.makeRing(current: key, mintVersion: version, extraKey: key == 3).mint(
            orderID: grant.orderID, userID: grant.user.id, rewardType: grant.bonus.rewardType, amount: amount ?? grant.bonus.amount,
            activityID: grant.activity.id, issuedAt: issuedAt ?? FuzzFixture.now.addingTimeInterval(-3600))
    }

    static func tokens() -> [(name: String, bytes: [UInt8])] {
        let grant = FuzzFixture.grant
        let v2 = mint(grant).encoded
        var otherOrder = grant
        otherOrder.orderID = "rain:spring-gala-2027:1:u12345:8"
        var otherActivity = grant
        otherActivity.activity.id = "spring-gala-2028"
        let strayBit: [Character: String] = ["A": "B", "Q": "R", "g": "h", "w": "x"]
        let tokens: [(String, String)] = [
            ("v2-key2", v2),
            ("v2-key1", mint(grant, key: 1).encoded),
            ("v1-key1", mint(grant, version: .v1, key: 1).encoded),
            ("v1-key2", mint(grant, version: .v1).encoded),
            ("v2-expired", mint(grant, issuedAt: FuzzFixture.now.addingTimeInterval(-31 * 24 * 3600)).encoded),
            ("v2-other-order", mint(otherOrder).encoded),
            ("v2-other-activity", mint(otherActivity).encoded),
            ("v1-other-activity", mint(otherActivity, version: .v1).encoded),
            ("v2-other-amount", mint(grant, amount: 999).encoded),
            ("v2-unknown-key", mint(grant, key: 3).encoded),
            ("version-3", base64URL(with(decodeBase64URL(v2)) { $0[0] = 3 })),
            ("version-0", base64URL(with(decodeBase64URL(v2)) { $0[0] = 0 })),
            ("tag-flipped", base64URL(with(decodeBase64URL(v2)) { $0[33] ^= 1 })),
            ("amount-negative", base64URL(with(decodeBase64URL(v2)) { $0[10] = 0xFF })),
            // The last character carries 2 bits of the last byte and 4 zero bits (A, Q, g or w); one more sets a stray bit.
            ("non-canonical-tail", String(v2.dropLast()) + (strayBit[v2.last ?? "A"] ?? "B")),
            ("short", String(v2.dropLast())),
            ("long", v2 + "A"),
            ("padded", String(v2.dropLast(2)) + "=="),
            ("standard-alphabet", String(v2.dropLast(2)) + "+/"),
            ("dot", String(v2.dropLast()) + "."),
            ("space", " " + String(v2.dropLast())),
            ("non-ascii", String(v2.dropLast(2)) + "é"),
            ("all-zero", base64URL(Array(repeating: 0, count: 34))),
            ("empty", ""),
        ]
        return tokens.map { ("seed-\($0.0)", Array($0.1.utf8)) }
    }

    // MARK: bonus-event

    static func events() -> [(name: String, bytes: [UInt8])] {
        var cash = FuzzFixture.grant
        cash.token = mint(cash).encoded
        var goods = BonusEvent(
            orderID: "cards:card-collect-2027:u777:3", activity: Activity(id: "card-collect-2027", sceneID: "album-1"),
            user: User(id: "u777", deviceID: "ios-3c2b", appID: "main-app"),
            bonus: BonusContent(rewardType: "coupon_10off", amount: 1), lane: .goods, grantedAtMilliseconds: 1_799_999_000_000,
            token: "")
        goods.token = mint(goods, key: 1).encoded
        var v1Grant = FuzzFixture.grant
        v1Grant.grantedBy = nil
        v1Grant.token = mint(v1Grant, version: .v1, key: 1).encoded
        var v1WithV2Token = v1Grant
        v1WithV2Token.token = cash.token
        var forged = cash
        forged.user.id = "u99999"
        var zero = cash
        zero.bonus.amount = 0
        zero.token = mint(zero).encoded
        var badService = cash
        badService.grantedBy = "bad svc!"
        var longOrder = cash
        longOrder.orderID = OrderID(String(repeating: "o", count: GrantValidation.maximumOrderIDLength + 1))
        var manyExtensions = cash
        manyExtensions.bonus.extensions = Dictionary(uniqueKeysWithValues: (0..<17).map { ("k\($0)", "v") })
        var expired = cash
        expired.token = mint(cash, issuedAt: FuzzFixture.now.addingTimeInterval(-31 * 24 * 3600)).encoded

        let v2 = cash.encoded()
        let strings = stringOffsets(v2)
        let events: [(String, [UInt8])] = [
            ("v2-cash", v2),
            ("v2-goods-no-extensions", goods.encoded()),
            ("v1-token-v1", schemaV1(v1Grant)),
            ("v1-token-v2", schemaV1(v1WithV2Token)),
            ("v2-expired-token", expired.encoded()),
            ("v2-forged-user", forged.encoded()),
            ("v2-zero-amount", zero.encoded()),
            ("v2-bad-granted-by", badService.encoded()),
            ("v2-order-id-too-long", longOrder.encoded()),
            ("v2-17-extensions", manyExtensions.encoded()),
            ("tombstone", []),
            ("version-3", with(v2) { $0[0] = 3 }),
            ("version-0", with(v2) { $0[0] = 0 }),
            ("truncated", Array(v2.prefix(v2.count / 2))),
            ("last-byte-missing", Array(v2.dropLast())),
            ("trailing-byte", v2 + [0]),
            ("lane-2", laneChanged(cash, to: 2)),
            ("length-overflow", [2] + Array(repeating: 0xFF, count: 10) + [0x01]),
            ("length-past-end", [2, 0x7F, 0x61]),
            // The user id's first byte: a lone continuation byte is not UTF-8.
            ("invalid-utf8", with(v2) { $0[strings[3] + 1] = 0x80 }),
            ("only-version", [2]),
        ]
        return events.map { ("seed-\($0.0)", $0.1) }
    }

    /// Schema version 1: version 2 without the trailing `grantedBy`.
    static func schemaV1(_ event: BonusEvent) -> [UInt8] {
        var event = event
        event.grantedBy = nil
        let bytes = event.encoded()
        return [1] + bytes[1..<(bytes.count - 1)]
    }

    static func laneChanged(_ event: BonusEvent, to lane: UInt8) -> [UInt8] {
        var copy = event
        copy.bonus.extensions = [:]
        copy.grantedBy = nil
        var bytes = copy.encoded()
        // Without extensions and grantedBy ("" and count 0 at the end): the lane is the third byte from the end.
        bytes[bytes.count - 3] = lane
        return bytes
    }

    /// Offsets of the first seven length-prefixed strings (order id ... reward type) of an encoding.
    static func stringOffsets(_ bytes: [UInt8]) -> [Int] {
        var offsets: [Int] = []
        var offset = 1
        for _ in 0..<7 {
            offsets.append(offset)
            offset += 1 + Int(bytes[offset])  // every fixture string is shorter than 128 bytes
        }
        return offsets
    }

    // MARK: signed-request

    static func requests() -> [(name: String, bytes: [UInt8])] {
        let now = Int64(FuzzFixture.now.timeIntervalSince1970)
        let path = "/v1/bonus"
        let rain = FuzzFixture.rainSecret
        /// `secret: nil` leaves the signature line `SIGN` (the fuzzer signs with the service's own secret).
        func signed(_ service: String = "rain-svc", timestamp: Int64? = nil, body: [UInt8]? = nil, secret: [UInt8]?,
                    method: String = "POST") -> [UInt8] {
            SignedRequestFuzzer.input(method: method, path: path, service: service, timestamp: timestamp ?? now,
                                      body: body ?? Self.requestBody(), secret: secret)
        }
        let valid = signed(secret: rain)
        let text = String(decoding: valid, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let signature = String(text[4])
        func replacing(_ line: Int, _ value: String) -> [UInt8] {
            var lines = text.map(String.init)
            lines[line] = value
            return Array(lines.joined(separator: "\n").utf8)
        }
        let requests: [(String, [UInt8])] = [
            ("valid", valid),
            ("valid-uppercase-signature", replacing(4, signature.uppercased())),
            ("valid-lowercase-method", signed(secret: rain, method: "post")),
            ("sign", signed(secret: nil)),
            ("sign-no-extensions", signed(body: requestBody(extensions: ""), secret: nil)),
            ("sign-out-of-scope-activity", signed(body: requestBody(activity: "card-collect-2027"), secret: nil)),
            ("sign-out-of-scope-amount", signed(body: requestBody(amount: 88_801), secret: nil)),
            ("sign-out-of-scope-type", signed(body: requestBody(type: "frame_gold"), secret: nil)),
            ("sign-bad-user-id", signed(body: requestBody(user: "u 1"), secret: nil)),
            ("sign-bad-json", signed(body: Array(#"{"activity":"#.utf8), secret: nil)),
            ("sign-empty-body", signed(body: [], secret: nil)),
            ("sign-cards", signed("cards", body: requestBody(activity: "card-collect-2027", type: "frame_gold", amount: 1), secret: nil)),
            ("sign-unknown-service", signed("nobody", secret: nil)),
            ("wrong-service-secret", signed("cards", secret: rain)),
            ("stale", signed(timestamp: now - 301, secret: rain)),
            ("future", signed(timestamp: now + 301, secret: rain)),
            ("window-edge", signed(timestamp: now - 300, secret: rain)),
            ("timestamp-int64-min", replacing(3, String(Int64.min))),
            ("timestamp-20-digits", replacing(3, "18000000000000000000")),
            ("timestamp-plus", replacing(3, "+\(now)")),
            ("timestamp-empty", replacing(3, "")),
            ("signature-short", replacing(4, String(signature.dropLast(2)))),
            ("signature-not-hex", replacing(4, String(signature.dropLast()) + "g")),
            ("body-altered", Array(valid.dropLast()) + [UInt8(ascii: " ")]),
            ("headers-missing", Array("POST\n/v1/bonus\nrain-svc".utf8)),
            ("empty", []),
        ]
        return requests.map { ("seed-\($0.0)", $0.1) }
    }

    /// A `POST /v1/bonus` body.
    static func requestBody(activity: String = "spring-gala-2027", user: String = "u12345", type: String = "cash_red_envelope",
                            amount: Int64 = 888, extensions: String = #","extensions":{"round":"1"}"#) -> [UInt8] {
        Array("""
            {"activity":{"id":"\(activity)","sceneID":"rain-round-1"},"user":{"id":"\(user)","deviceID":"dev-9f8e7d",\
            "appID":"main-app"},"bonus":{"rewardType":"\(type)","amount":\(amount)\(extensions)},\
            "orderID":"rain:\(activity):1:\(user):7"}
            """.utf8)
    }

    // MARK: wallet-cursor

    static func cursors() -> [(name: String, bytes: [UInt8])] {
        func raw(_ text: String) -> String {
            "h1." + Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let token = HistoryCursorFuzzer.cursor(micros: 1_799_996_400_123_456, rank: 0, id: "rain:spring-gala-2027:1:u12345:7")
        let cursors: [(String, String)] = [
            ("token", token),
            ("entry", HistoryCursorFuzzer.cursor(micros: 1_799_996_400_000_000, rank: 1, id: "18446744073709551615")),
            ("goods", HistoryCursorFuzzer.cursor(micros: 0, rank: 2, id: "1")),
            ("before-epoch", HistoryCursorFuzzer.cursor(micros: -1, rank: 0, id: "o")),
            ("id-with-bar", raw("1|0|a|b")),
            ("year-9999", raw("253402300799999999|0|o")),
            ("year-10000", raw("253402300800000000|0|o")),
            ("year-999", raw("-30610224000000001|0|o")),
            ("micros-int64-max", raw("\(Int64.max)|0|o")),
            ("micros-int64-min", raw("\(Int64.min)|1|1")),
            ("micros-overflow", raw("9223372036854775808|0|o")),
            ("rank-3", raw("1|3|o")),
            ("rank-negative", raw("1|-1|o")),
            ("entry-id-not-numeric", raw("1|1|abc")),
            ("empty-id", raw("1|0|")),
            ("id-161", raw("1|0|" + String(repeating: "x", count: 161))),
            ("two-parts", raw("1|0")),
            ("not-utf8", "h1." + Data([0xFF, 0xFE, 0x7C]).base64EncodedString()),
            ("padded", token + "=="),
            ("standard-alphabet", "h1.+/+/"),
            ("no-prefix", String(token.dropFirst(3))),
            ("version-2", "h2." + token.dropFirst(3)),
            ("too-long", "h1." + String(repeating: "A", count: 400)),
            ("prefix-only", "h1."),
            ("empty", ""),
        ]
        return cursors.map { ("seed-\($0.0)", Array($0.1.utf8)) }
    }

    // MARK: spool-segment

    static func segments() -> [(name: String, bytes: [UInt8])] {
        let events = events().prefix(3).map(\.bytes)
        let records = events.enumerated().map { index, value in
            SpoolSegmentFuzzer.record(topic: index == 1 ? "reward-goods" : "reward-cash", key: Array("order-\(index)".utf8), value: value)
        }
        let three = SpoolSegmentFuzzer.segment(payloads: records)
        let header = SpoolSegmentFuzzer.segment(payloads: [])
        let firstEnd = header.count + 8 + records[0].count
        var corruptCRC = three
        corruptCRC[firstEnd + 5] ^= 0xFF
        var hugeLength = three
        hugeLength[header.count] = 0x7F
        var badHeader = three
        badHeader[3] = UInt8(ascii: "Q")
        var version2 = three
        version2[4] = 2
        let segments: [(String, [UInt8])] = [
            ("three-records", three),
            ("header-only", header),
            ("torn-tail", Array(three.dropLast(5))),
            ("torn-length", Array(three.prefix(firstEnd + 3))),
            ("crc-mismatch", corruptCRC),
            ("length-over-limit", hugeLength),
            ("bad-magic", badHeader),
            ("format-version-2", version2),
            ("header-cut", Array(header.prefix(3))),
            ("empty", []),
            ("empty-record", SpoolSegmentFuzzer.segment(payloads: [[]])),
            ("record-version-2", SpoolSegmentFuzzer.segment(payloads: [with(records[0]) { $0[0] = 2 }])),
            ("record-trailing-byte", SpoolSegmentFuzzer.segment(payloads: [records[0] + [0]])),
            ("record-length-cut", SpoolSegmentFuzzer.segment(payloads: [[1, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]])),
            ("record-empty-fields", SpoolSegmentFuzzer.segment(payloads: [SpoolSegmentFuzzer.record(topic: "", key: [], value: [])])),
            ("checkpoint-after-first", SpoolSegmentFuzzer.checkpoint(offset: firstEnd) + three),
            ("checkpoint-at-end", SpoolSegmentFuzzer.checkpoint(offset: three.count) + three),
            ("checkpoint-past-end", SpoolSegmentFuzzer.checkpoint(offset: three.count + 1) + three),
            ("checkpoint-mid-frame", SpoolSegmentFuzzer.checkpoint(offset: firstEnd - 2) + three),
            ("checkpoint-in-header", SpoolSegmentFuzzer.checkpoint(offset: 3) + three),
            ("checkpoint-damaged", with(SpoolSegmentFuzzer.checkpoint(offset: firstEnd)) { $0[11] ^= 1 } + three),
            ("checkpoint-int-max", SpoolSegmentFuzzer.checkpoint(offset: Int.max) + three),
        ]
        return segments.map { ("seed-\($0.0)", $0.1) }
    }

    // MARK: Helpers

    static func with<T>(_ value: T, _ change: (inout T) -> Void) -> T {
        var copy = value
        change(&copy)
        return copy
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decodeBase64URL(_ text: String) -> [UInt8] {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        standard += String(repeating: "=", count: (4 - standard.utf8.count % 4) % 4)
        return Data(base64Encoded: standard).map { [UInt8]($0) } ?? []
    }
}
