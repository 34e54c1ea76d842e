public import Foundation

/// The keys tokens are signed with: mint with the current key, verify with any key in the ring,
/// so keys rotate without invalidating tokens already in users' hands.
///
/// HMAC-SHA256 rather than an AEAD: the fields are not secret (the user sees the amount), the
/// verifier always knows the order, user and type it expects, and a MAC over them keeps the token
/// to 34 bytes; an AEAD would have to carry those strings and could not fit 64 characters.
public struct TokenKeyRing: Sendable {
    public let currentKeyID: UInt8
    /// One HMAC per key, already keyed and fed the domain-separation prefix: minting copies it
    /// instead of deriving the inner and outer pads again for every token.
    private let macs: [UInt8: PreparedHMAC]
    /// How long a minted token stays presentable.
    public var lifetime: Duration

    /// - Throws: ``ConfigurationError`` when the current key is missing or a key is shorter than 32 bytes.
    public init(keys: [UInt8: [UInt8]], currentKeyID: UInt8, lifetime: Duration = .seconds(30 * 24 * 3600))
        throws(ConfigurationError)
    {
        guard keys[currentKeyID] != nil else {
            throw ConfigurationError(code: "tokens.no_current_key", message: "the key ring has no key \(currentKeyID) to mint with")
        }
        for (id, key) in keys where key.count < 32 {
            throw ConfigurationError(code: "tokens.short_key", message: "token key \(id) has \(key.count) bytes; at least 32 are needed")
        }
        self.macs = keys.mapValues { PreparedHMAC(key: $0, prefix: Self.domain) }
        self.currentKeyID = currentKeyID
        self.lifetime = lifetime
    }

    public var keyIDs: [UInt8] { macs.keys.sorted() }

    /// Signs a grant with the current key.
    public func mint(orderID: OrderID, userID: String, rewardType: String, amount: Int64, issuedAt: Date) -> RewardToken {
        let issued = UInt32(clamping: Int64(issuedAt.timeIntervalSince1970))
        let expires = UInt32(clamping: Int64(issued) + lifetime.components.seconds)
        var header = ByteWriter(capacity: RewardToken.byteLength)
        header.uint8(RewardToken.formatVersion)
        header.uint8(currentKeyID)
        header.uint32(issued)
        header.uint32(expires)
        header.int64(amount)
        // The current key's MAC exists: init refuses a ring without it.
        var bytes = header.bytes
        bytes += Self.tag(mac: macs[currentKeyID]!, header: header.bytes, orderID: orderID, userID: userID, rewardType: rewardType)
        return RewardToken(bytes: bytes)
    }

    /// Checks that `text` is a token this ring signed for exactly this order, user and type.
    /// - Parameter now: pass `nil` to skip the expiry check (a consumer settling an event that
    ///   waited in a backlog); pass the current time where a client presents the token.
    /// - Throws: ``TokenError`` with the reason; never traps on any input.
    public func verify(_ text: String, orderID: OrderID, userID: String, rewardType: String, now: Date?)
        throws(TokenError) -> TokenClaims
    {
        let token = try RewardToken(parsing: text)
        guard let mac = macs[token.keyID] else {
            throw TokenError(.unknownKey, "token key \(token.keyID) is not in the key ring")
        }
        let expected = Self.tag(mac: mac, header: Array(token.bytes[..<RewardToken.headerLength]),
                                orderID: orderID, userID: userID, rewardType: rewardType)
        guard Self.constantTimeEqual(expected, token.bytes[RewardToken.headerLength...]) else {
            throw TokenError(.signatureMismatch, "the token was altered or was not issued for this order, user and reward type")
        }
        let claims = TokenClaims(
            orderID: orderID, userID: userID, rewardType: rewardType, amount: token.amount,
            issuedAt: Date(timeIntervalSince1970: TimeInterval(token.issuedAt)),
            expiresAt: Date(timeIntervalSince1970: TimeInterval(token.expiresAt)))
        if let now, now >= claims.expiresAt {
            throw TokenError(.expired, "the token expired at \(claims.expiresAt)")
        }
        return claims
    }

    /// Verifies and also checks the amount a grant presents with the token.
    public func verify(_ text: String, orderID: OrderID, userID: String, rewardType: String, amount: Int64, now: Date?)
        throws(TokenError) -> TokenClaims
    {
        let claims = try verify(text, orderID: orderID, userID: userID, rewardType: rewardType, now: now)
        guard claims.amount == amount else {
            throw TokenError(.amountMismatch, "the token is for amount \(claims.amount), not \(amount)")
        }
        return claims
    }

    /// Separates this use of a key from any other: the MAC input starts with it.
    private static let domain: [UInt8] = {
        var writer = ByteWriter(capacity: 16)
        writer.string("reward-token-v1")
        return writer.bytes
    }()

    /// HMAC-SHA256 over the domain, the header, order id, user id and reward type, truncated.
    private static func tag(mac: PreparedHMAC, header: [UInt8], orderID: OrderID, userID: String, rewardType: String) -> [UInt8] {
        var message = ByteWriter(capacity: 48 + orderID.rawValue.utf8.count + userID.utf8.count + rewardType.utf8.count)
        message.bytes += header
        message.string(orderID.rawValue)
        message.string(userID)
        message.string(rewardType)
        return mac.authenticate(message.bytes, length: RewardToken.tagLength)
    }

    private static func constantTimeEqual(_ a: [UInt8], _ b: ArraySlice<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
