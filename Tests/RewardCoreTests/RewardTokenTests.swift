import Foundation
import RewardCore
import Testing

@Suite("Reward tokens")
struct RewardTokenTests {
    let ring = Fixtures.keyRing()
    let now = Date(timeIntervalSince1970: 1_795_000_000)
    static let activity = "spring-gala-2027"

    func mint(_ ring: TokenKeyRing? = nil, version: RewardToken.Version = .v2) -> RewardToken {
        var ring = ring ?? self.ring
        ring.mintVersion = version
        return ring.mint(orderID: Fixtures.orderID, userID: "u12345", rewardType: "cash_red_envelope", amount: 888,
                         activityID: Self.activity, issuedAt: now)
    }

    func verify(_ text: String, ring: TokenKeyRing? = nil, orderID: OrderID = Fixtures.orderID, userID: String = "u12345",
                rewardType: String = "cash_red_envelope", amount: Int64 = 888, activity: String = activity,
                at time: Date? = nil) -> TokenError.Code? {
        do {
            _ = try (ring ?? self.ring).check(
                text, for: TokenSubject(orderID: orderID, userID: userID, rewardType: rewardType, amount: amount, activityID: activity),
                now: time ?? now.addingTimeInterval(60))
            return nil
        } catch {
            return error.code
        }
    }

    @Test(arguments: RewardToken.Version.allCases)
    func aMintedTokenVerifiesAndIsCompact(version: RewardToken.Version) throws {
        let token = mint(version: version)
        #expect(token.encoded.count == 46)
        #expect(token.version == version)
        #expect(token.encoded.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(verify(token.encoded) == nil)
        let claims = try ring.check(token.encoded, for: TokenSubject(
            orderID: Fixtures.orderID, userID: "u12345", rewardType: "cash_red_envelope", activityID: Self.activity), now: now)
        #expect(claims.amount == 888)
        #expect(claims.expiresAt == now.addingTimeInterval(3600))
        #expect(claims.boundActivityID == (version == .v2 ? Self.activity : nil))
    }

    @Test func newTokensAreVersion2ByDefault() {
        #expect(ring.mintVersion == .v2)
        #expect(ring.mint(orderID: "o", userID: "u", rewardType: "t", amount: 1, activityID: "a", issuedAt: now).version == .v2)
    }

    @Test(arguments: RewardToken.Version.allCases)
    func aFlippedBitAnywhereIsRefused(version: RewardToken.Version) throws {
        let token = mint(version: version)
        let bytes = try #require(decodeBase64URL(token.encoded))
        for index in bytes.indices {
            for bit in 0..<8 {
                var flipped = bytes
                flipped[index] ^= 1 << bit
                let code = verify(encodeBase64URL(flipped))
                #expect(code != nil, "byte \(index) bit \(bit) still verified")
            }
        }
        // A version byte changed to the other known version is a forgery, not a format change.
        var other = bytes
        other[0] = version == .v1 ? 2 : 1
        #expect(verify(encodeBase64URL(other)) == .signatureMismatch)
        other[0] = 3
        #expect(verify(encodeBase64URL(other)) == .unsupportedVersion)
    }

    @Test func anEditedAmountIsRefused() throws {
        var bytes = try #require(decodeBase64URL(mint().encoded))
        bytes[17] = 0xFF  // amount's lowest byte
        #expect(verify(encodeBase64URL(bytes)) == .signatureMismatch)
        // A genuine token presented with another amount than it names:
        #expect(verify(mint().encoded, amount: 999) == .amountMismatch)
    }

    @Test(arguments: RewardToken.Version.allCases)
    func anotherUserOrderOrTypeIsRefused(version: RewardToken.Version) {
        let token = mint(version: version).encoded
        #expect(verify(token, userID: "u99999") == .signatureMismatch)
        #expect(verify(token, orderID: "rain:spring-gala-2027:1:u12345:8") == .signatureMismatch)
        #expect(verify(token, rewardType: "coupon_10off") == .signatureMismatch)
    }

    @Test func version2BindsTheActivityAndVersion1DoesNot() {
        #expect(verify(mint(version: .v2).encoded, activity: "other-campaign") == .signatureMismatch)
        // Version 1 never bound it: the MAC cannot tell, which is why its activity must come from our records.
        #expect(verify(mint(version: .v1).encoded, activity: "other-campaign") == nil)
    }

    @Test func unknownKeyAndExpiryAreRefused() throws {
        let other = Fixtures.keyRing(current: 7, keys: [7])
        #expect(verify(mint(other).encoded) == .unknownKey)
        #expect(verify(mint().encoded, at: now.addingTimeInterval(3600)) == .expired)
        // Consumers settling a backlog skip the expiry check on purpose.
        _ = try ring.check(mint().encoded, for: TokenSubject(
            orderID: Fixtures.orderID, userID: "u12345", rewardType: "cash_red_envelope", activityID: Self.activity), now: nil)
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
        let oldV1 = mint(old, version: .v1)
        let newToken = mint(rotated)
        #expect(newToken.keyID == 2)
        #expect(verify(oldToken.encoded, ring: rotated) == nil)
        #expect(verify(oldV1.encoded, ring: rotated) == nil)
        #expect(verify(newToken.encoded, ring: rotated) == nil)
        #expect(verify(newToken.encoded, ring: old) == .unknownKey)
        let retired = Fixtures.keyRing(current: 2, keys: [2])
        #expect(verify(oldToken.encoded, ring: retired) == .unknownKey)
    }

    @Test func shortKeysAreRefused() {
        #expect(throws: ConfigurationError.self) { try TokenKeyRing(keys: [1: [1, 2, 3]], currentKeyID: 1) }
        #expect(throws: ConfigurationError.self) { try TokenKeyRing(keys: [1: [UInt8](repeating: 1, count: 32)], currentKeyID: 2) }
    }

    @Test func fingerprintsIdentifyKeysWithoutShowingThem() {
        let ring = Fixtures.keyRing(current: 2, keys: [1, 2])
        let again = Fixtures.keyRing(current: 1, keys: [1, 2])
        #expect(ring.fingerprints == again.fingerprints)
        #expect(ring.fingerprints[1] != ring.fingerprints[2])
        #expect(ring.fingerprints.values.allSatisfy { $0.count == 8 })
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
