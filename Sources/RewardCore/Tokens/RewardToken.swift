public import Foundation

/// Signed proof of one grant, returned to the caller and shown by the client.
///
/// Layout (34 bytes, base64url without padding: 46 characters):
///
/// | bytes | field |
/// |---|---|
/// | 0 | format version (1) |
/// | 1 | key id |
/// | 2..5 | issued at, seconds since the Unix epoch, UInt32 big-endian |
/// | 6..9 | expires at, same encoding |
/// | 10..17 | amount in minor units, Int64 big-endian |
/// | 18..33 | HMAC-SHA256 of bytes 0..17, order id, user id and reward type, truncated to 16 bytes |
///
/// Order id, user id and reward type are bound by the MAC but not carried: whoever verifies a
/// token supplies them (from the event, the tokens store, or the request), so a token replayed
/// under another order id or presented by another user does not verify.
public struct RewardToken: Sendable, Hashable, CustomStringConvertible {
    public static let formatVersion: UInt8 = 1
    static let headerLength = 18
    static let tagLength = 16
    static let byteLength = headerLength + tagLength

    /// The URL-safe text form.
    public let encoded: String
    public let keyID: UInt8
    public let issuedAt: UInt32
    public let expiresAt: UInt32
    public let amount: Int64
    let bytes: [UInt8]

    public var description: String { encoded }

    /// Parses the text form; checks shape only (see ``TokenKeyRing/verify(_:orderID:userID:rewardType:now:)``).
    /// - Throws: ``TokenError`` ``TokenError/Code/malformed`` or ``TokenError/Code/unsupportedVersion``; never traps.
    public init(parsing text: String) throws(TokenError) {
        guard text.utf8.count == 46, let bytes = Base64URL.decode(text), bytes.count == Self.byteLength else {
            throw TokenError(.malformed, "a token is 46 base64url characters")
        }
        guard bytes[0] == Self.formatVersion else {
            throw TokenError(.unsupportedVersion, "token format \(bytes[0]) is not known here")
        }
        self.init(bytes: bytes)
    }

    init(bytes: [UInt8]) {
        self.bytes = bytes
        self.encoded = Base64URL.encode(bytes)
        self.keyID = bytes[1]
        self.issuedAt = Self.uint32(bytes, at: 2)
        self.expiresAt = Self.uint32(bytes, at: 6)
        var amount: UInt64 = 0
        for index in 10..<18 { amount = amount << 8 | UInt64(bytes[index]) }
        self.amount = Int64(bitPattern: amount)
    }

    static func uint32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (offset..<offset + 4).reduce(UInt32(0)) { $0 << 8 | UInt32(bytes[$1]) }
    }
}

/// What a token says once verified.
public struct TokenClaims: Sendable, Hashable {
    public var orderID: OrderID
    public var userID: String
    public var rewardType: String
    public var amount: Int64
    public var issuedAt: Date
    public var expiresAt: Date
}

/// Why a token was refused: each reason its own code, for metrics and for the user's answer.
public struct TokenError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, Codable, CaseIterable {
        /// Not 46 base64url characters, or random bytes.
        case malformed = "token_malformed"
        case unsupportedVersion = "token_unsupported_version"
        /// Signed with a key this ring no longer (or never) held.
        case unknownKey = "token_unknown_key"
        /// Altered, forged, or issued for another order id, user or reward type.
        case signatureMismatch = "token_signature_mismatch"
        case expired = "token_expired"
        /// The token is genuine but names another amount than the grant presented with it.
        case amountMismatch = "token_amount_mismatch"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

/// RFC 4648 base64url without padding, strict: anything else is refused.
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Encodes directly into the string's storage: every grant mints a token, and Foundation's
    /// base64 plus three replacements cost more than the HMAC itself.
    static func encode(_ bytes: [UInt8]) -> String {
        let full = bytes.count / 3
        let remainder = bytes.count % 3
        let length = full * 4 + (remainder == 0 ? 0 : remainder + 1)
        return String(unsafeUninitializedCapacity: length) { output in
            alphabet.withUnsafeBufferPointer { table in
                bytes.withUnsafeBufferPointer { input in
                    var out = 0
                    for group in 0..<full {
                        let i = group * 3
                        let value = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                        output[out] = table[Int(value >> 18)]
                        output[out + 1] = table[Int(value >> 12 & 63)]
                        output[out + 2] = table[Int(value >> 6 & 63)]
                        output[out + 3] = table[Int(value & 63)]
                        out += 4
                    }
                    if remainder > 0 {
                        let i = full * 3
                        let value = UInt32(input[i]) << 16 | (remainder == 2 ? UInt32(input[i + 1]) << 8 : 0)
                        output[out] = table[Int(value >> 18)]
                        output[out + 1] = table[Int(value >> 12 & 63)]
                        if remainder == 2 { output[out + 2] = table[Int(value >> 6 & 63)] }
                    }
                }
            }
            return length
        }
    }

    static func decode(_ text: String) -> [UInt8]? {
        guard text.utf8.allSatisfy({ GrantValidation.isIdentifierByte($0) && $0 != UInt8(ascii: ".") }) else { return nil }
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        standard += String(repeating: "=", count: (4 - standard.utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: standard) else { return nil }
        let bytes = [UInt8](data)
        // Refuse non-canonical encodings (stray low bits), so one token has exactly one text form.
        return encode(bytes) == text ? bytes : nil
    }
}
