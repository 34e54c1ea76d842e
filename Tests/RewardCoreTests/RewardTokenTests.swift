import Foundation
import RewardCore
import Testing

@Suite("Reward tokens")
struct RewardTokenTests {
    let ring = Fixtures.keyRing()
    let now = Date(timeIntervalSince1970: 1_795_000_000)

    func mint(_ ring: TokenKeyRing? = nil) -> RewardToken {
        (ring ?? self.ring).mint(orderID: Fixtures.orderID, userID: "u12345", rewardType: "cash_red_envelope", amount: 888, issuedAt: now)
    }

    func verify(_ text: String, ring: TokenKeyRing? = nil, orderID: OrderID = Fixtures.orderID, userID: String = "u12345",
                rewardType: String = "cash_red_envelope", amount: Int64 = 888, at time: Date? = nil) -> TokenError.Code? {
        do {
            _ = try (ring ?? self.ring).verify(text, orderID: orderID, userID: userID, rewardType: rewardType, amount: amount,
                                               now: time ?? now.addingTimeInterval(60))
            return nil
        } catch {
            return error.code
        }
    }

    @Test func aMintedTokenVerifiesAndIsCompact() throws {
        let token = mint()
        #expect(token.encoded.count <= 64)
        #expect(token.encoded.count == 46)
        #expect(token.encoded.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(verify(token.encoded) == nil)
        let claims = try ring.verify(token.encoded, orderID: Fixtures.orderID, userID: "u12345",
                                     rewardType: "cash_red_envelope", now: now)
        #expect(claims.amount == 888)
        #expect(claims.expiresAt == now.addingTimeInterval(3600))
    }

    @Test func aFlippedBitAnywhereIsRefused() throws {
        let token = mint()
        let bytes = try #require(decodeBase64URL(token.encoded))
        for index in bytes.indices {
            for bit in 0..<8 {
                var flipped = bytes
                flipped[index] ^= 1 << bit
                let code = verify(encodeBase64URL(flipped))
                #expect(code != nil, "byte \(index) bit \(bit) still verified")
                if index == 0 { #expect(code == .unsupportedVersion) }
            }
        }
    }

    @Test func anEditedAmountIsRefused() throws {
        var bytes = try #require(decodeBase64URL(mint().encoded))
        bytes[17] = 0xFF  // amount's lowest byte
        #expect(verify(encodeBase64URL(bytes)) == .signatureMismatch)
        // A genuine token presented with another amount than it names:
        #expect(verify(mint().encoded, amount: 999) == .amountMismatch)
    }

    @Test func anotherUserOrderOrTypeIsRefused() {
        let token = mint().encoded
        #expect(verify(token, userID: "u99999") == .signatureMismatch)
        #expect(verify(token, orderID: "rain:spring-gala-2027:1:u12345:8") == .signatureMismatch)
        #expect(verify(token, rewardType: "coupon_10off") == .signatureMismatch)
    }

    @Test func unknownKeyAndExpiryAreRefused() {
        let other = Fixtures.keyRing(current: 7, keys: [7])
        #expect(verify(mint(other).encoded) == .unknownKey)
        #expect(verify(mint().encoded, at: now.addingTimeInterval(3600)) == .expired)
        // Consumers settling a backlog skip the expiry check on purpose.
        #expect((try? ring.verify(mint().encoded, orderID: Fixtures.orderID, userID: "u12345",
                                  rewardType: "cash_red_envelope", now: nil)) != nil)
    }

    @Test func truncatedAndRandomInputIsMalformed() {
        let token = mint().encoded
        for length in 0..<token.count {
            #expect(verify(String(token.prefix(length))) == .malformed)
        }
        #expect(verify(token + "A") == .malformed)
        #expect(verify(String(repeating: "=", count: 46)) == .malformed)
        #expect(verify("红包红包红包红包红包红包红包红包红包红包红包红包红包红包红包红") == .malformed)
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        for _ in 0..<5_000 {
            let text = String((0..<46).map { _ in alphabet.randomElement(using: &generator)! })
            #expect(verify(text) != nil)
        }
    }

    @Test func rotationMintsWithTheNewKeyAndStillVerifiesTheOld() {
        let old = Fixtures.keyRing(current: 1, keys: [1])
        let rotated = Fixtures.keyRing(current: 2, keys: [1, 2])
        let oldToken = mint(old)
        let newToken = mint(rotated)
        #expect(newToken.keyID == 2)
        #expect(verify(oldToken.encoded, ring: rotated) == nil)
        #expect(verify(newToken.encoded, ring: rotated) == nil)
        #expect(verify(newToken.encoded, ring: old) == .unknownKey)
        let retired = Fixtures.keyRing(current: 2, keys: [2])
        #expect(verify(oldToken.encoded, ring: retired) == .unknownKey)
    }

    @Test func shortKeysAreRefused() {
        #expect(throws: ConfigurationError.self) { try TokenKeyRing(keys: [1: [1, 2, 3]], currentKeyID: 1) }
        #expect(throws: ConfigurationError.self) { try TokenKeyRing(keys: [1: [UInt8](repeating: 1, count: 32)], currentKeyID: 2) }
    }
}

func decodeBase64URL(_ text: String) -> [UInt8]? {
    var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    standard += String(repeating: "=", count: (4 - standard.count % 4) % 4)
    return Data(base64Encoded: standard).map { [UInt8]($0) }
}

func encodeBase64URL(_ bytes: [UInt8]) -> String {
    Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
        .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
}
