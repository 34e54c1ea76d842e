import Crypto
import Foundation
@testable import RewardCore
import Testing

@Suite("base64url")
struct Base64URLTests {
    @Test("The direct encoder matches Foundation's base64 made URL-safe, for every length and remainder")
    func matchesFoundation() {
        var generator = SystemRandomNumberGenerator()
        for length in 0...64 {
            for _ in 0..<20 {
                let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                #expect(Base64URL.encode(bytes) == encodeBase64URL(bytes), "length \(length)")
                #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
            }
        }
    }
}

@Suite("Prepared HMAC")
struct PreparedHMACTests {
    @Test("Equals swift-crypto's HMAC-SHA256 for short, block-sized and long keys, with and without a prefix")
    func matchesCrypto() {
        var generator = SystemRandomNumberGenerator()
        for keyLength in [32, 63, 64, 65, 100] {
            let key = (0..<keyLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
            for messageLength in [0, 1, 55, 56, 64, 200] {
                let prefix = Array("reward-token-v1".utf8)
                let message = (0..<messageLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let expected = Array(HMAC<SHA256>.authenticationCode(for: prefix + message, using: SymmetricKey(data: key)))
                #expect(PreparedHMAC(key: key, prefix: prefix).authenticate(message, length: 32) == expected)
                #expect(PreparedHMAC(key: key).authenticate(prefix + message, length: 16) == Array(expected.prefix(16)))
            }
        }
    }
}
