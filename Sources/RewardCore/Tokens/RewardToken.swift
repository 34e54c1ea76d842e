import Foundation

/// Signed proof of one grant, returned to the caller and shown by the client.
///
/// Layout (34 bytes, base64url without padding: 46 characters), the same for both versions:
///
/// | bytes | field |
/// |---|---|
/// | 0 | format version (1 or 2) |
/// | 1 | key id |
/// | 2..5 | issued at, seconds since the Unix epoch, UInt32 big-endian |
/// | 6..9 | expires at, same encoding |
/// | 10..17 | amount in minor units, Int64 big-endian |
/// | 18..33 | HMAC-SHA256 of a version's domain, bytes 0..17 and the bound fields, truncated to 16 bytes |
///
/// Bound but not carried: order id, user id and reward type (both versions) and, from version 2,
/// the activity id. Whoever verifies a token supplies them (from the event, a store, or the
/// request), so a token replayed under another order id, user or activity does not verify.
/// Version 1 did not bind the activity: its activity may only come from our own records.
public struct RewardToken: Sendable, Hashable, CustomStringConvertible {
    /// The versions this build reads.
    public enum Version: UInt8, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
        /// Binds order id, user id, reward type and amount.
        case v1 = 1
        /// Also binds the activity id, which budgets and ledgers rely on.
        case v2 = 2

        public var description: String { "v\(rawValue)" }
        /// Whether the MAC covers the activity id.
        public var bindsActivity: Bool { self != .v1 }
    }

    static let headerLength = 18
    static let tagLength = 16
    static let byteLength = headerLength + tagLength
    /// The text form's length.
    public static let encodedLength = 46

    /// The URL-safe text form.
    public let encoded: String
    public let version: Version
    public let keyID: UInt8
    public let issuedAt: UInt32
    public let expiresAt: UInt32
    public let amount: Int64
    let bytes: [UInt8]

    public var description: String { encoded }

    /// Parses the text form; checks shape only (see ``TokenKeyRing/verify(_:activityFrom:now:)``).
    /// - Throws: ``TokenError`` ``TokenError/Code/malformed`` or ``TokenError/Code/unsupportedVersion``; never traps.
    public init(parsing text: String) throws(TokenError) {
        guard text.utf8.count == Self.encodedLength, let bytes = Base64URL.decode(text), bytes.count == Self.byteLength else {
            throw TokenError(.malformed, "a token is \(Self.encodedLength) base64url characters")
        }
        guard let version = Version(rawValue: bytes[0]) else {
            throw TokenError(.unsupportedVersion, "token format \(bytes[0]) is not known here")
        }
        self.init(bytes: bytes, version: version)
    }

    init(bytes: [UInt8], version: Version) {
        self.bytes = bytes
        self.version = version
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
