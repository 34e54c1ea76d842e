public import Foundation

/// The keys tokens are signed with: mint with the current key, verify with any key in the ring,
/// so keys rotate without invalidating tokens already in users' hands.
///
/// HMAC-SHA256 rather than an AEAD: the fields are not secret (the user sees the amount), the
/// verifier always knows the order, user, type and activity it expects, and a MAC over them keeps
/// the token to 34 bytes; an AEAD would have to carry those strings and could not fit 64 characters.
///
/// A ring checks tokens (``check(_:for:now:)``) and is the only maker of ``VerifiedGrant``, the one
/// input the settlement engine takes (``verify(_:activityFrom:now:)``).
public struct TokenKeyRing: Sendable {
    public let currentKeyID: UInt8
    /// One HMAC per key and version, already keyed and fed the version's domain-separation prefix:
    /// minting copies it instead of deriving the inner and outer pads again for every token.
    private let macs: [UInt8: [RewardToken.Version: PreparedHMAC]]
    /// The current key's MACs, so minting does no dictionary lookups.
    private let currentV1: PreparedHMAC
    private let currentV2: PreparedHMAC
    /// Ids of keys that are published in this repository (development and test keys).
    public let publishedKeyIDs: [UInt8]
    /// A short fingerprint per key (8 hex digits of a domain-separated SHA-256), so operators can
    /// check that every host holds the same key material without ever seeing it.
    public let fingerprints: [UInt8: String]
    /// How long a minted token stays presentable.
    public var lifetime: Duration
    /// The format new tokens get. Version 2 by default; version 1 only while verifiers that do not
    /// read version 2 are still running (a rolling upgrade: consumers and tools first).
    public var mintVersion: RewardToken.Version

    /// - Throws: ``ConfigurationError`` when the current key is missing or a key is shorter than 32 bytes.
    public init(keys: [UInt8: [UInt8]], currentKeyID: UInt8, lifetime: Duration = .seconds(30 * 24 * 3600),
                mintVersion: RewardToken.Version = .v2) throws(ConfigurationError)
    {
        guard keys[currentKeyID] != nil else {
            throw ConfigurationError(code: "tokens.no_current_key", message: "the key ring has no key \(currentKeyID) to mint with")
        }
        for (id, key) in keys where key.count < 32 {
            throw ConfigurationError(code: "tokens.short_key", message: "token key \(id) has \(key.count) bytes; at least 32 are needed")
        }
        self.macs = keys.mapValues { key in
            Dictionary(uniqueKeysWithValues: RewardToken.Version.allCases.map { ($0, PreparedHMAC(key: key, prefix: Self.domain($0))) })
        }
        // The guard above made sure the current key is in `keys`.
        self.currentV1 = macs[currentKeyID]![.v1]!
        self.currentV2 = macs[currentKeyID]![.v2]!
        self.publishedKeyIDs = keys.filter { PublishedKeys.contains($0.value) }.keys.sorted()
        self.fingerprints = keys.mapValues(PublishedKeys.fingerprint)
        self.currentKeyID = currentKeyID
        self.lifetime = lifetime
        self.mintVersion = mintVersion
    }

    public var keyIDs: [UInt8] { macs.keys.sorted() }

    /// Signs a grant with the current key, in ``mintVersion``'s format.
    public func mint(orderID: OrderID, userID: String, rewardType: String, amount: Int64, activityID: String,
                     issuedAt: Date) -> RewardToken {
        let issued = UInt32(clamping: Int64(issuedAt.timeIntervalSince1970))
        let expires = UInt32(clamping: Int64(issued) + lifetime.components.seconds)
        var header = ByteWriter(capacity: RewardToken.byteLength)
        header.uint8(mintVersion.rawValue)
        header.uint8(currentKeyID)
        header.uint32(issued)
        header.uint32(expires)
        header.int64(amount)
        let mac = switch mintVersion {
        case .v1: currentV1
        case .v2: currentV2
        }
        var bytes = header.bytes
        bytes += Self.tag(mac: mac, version: mintVersion, header: header.bytes,
                          subject: TokenSubject(orderID: orderID, userID: userID, rewardType: rewardType, activityID: activityID))
        return RewardToken(bytes: bytes, version: mintVersion)
    }

    /// Checks that `text` is a token this ring signed for exactly this grant: order id, user,
    /// reward type, amount (when the subject names one) and, for version 2, activity.
    ///
    /// For a version 1 token the subject's activity is not checked (the token does not bind it);
    /// the claims say so with a `nil` ``TokenClaims/boundActivityID``.
    /// - Parameter now: `nil` skips the expiry check (a consumer settling an event that waited in a
    ///   backlog); pass the current time where a client presents the token.
    /// - Throws: ``TokenError`` with the reason; never traps on any input.
    public func check(_ text: String, for subject: TokenSubject, now: Date?) throws(TokenError) -> TokenClaims {
        let token = try RewardToken(parsing: text)
        guard let mac = macs[token.keyID]?[token.version] else {
            throw TokenError(.unknownKey, "token key \(token.keyID) is not in the key ring")
        }
        let expected = Self.tag(mac: mac, version: token.version, header: Array(token.bytes[..<RewardToken.headerLength]),
                                subject: subject)
        guard Self.constantTimeEqual(expected, token.bytes[RewardToken.headerLength...]) else {
            throw TokenError(.signatureMismatch, token.version.bindsActivity
                ? "the token was altered or was not issued for this order, user, reward type and activity"
                : "the token was altered or was not issued for this order, user and reward type")
        }
        let claims = TokenClaims(
            version: token.version, keyID: token.keyID, orderID: subject.orderID, userID: subject.userID,
            rewardType: subject.rewardType, amount: token.amount,
            boundActivityID: token.version.bindsActivity ? subject.activityID : nil,
            issuedAt: Date(timeIntervalSince1970: TimeInterval(token.issuedAt)),
            expiresAt: Date(timeIntervalSince1970: TimeInterval(token.expiresAt)))
        if let amount = subject.amount, claims.amount != amount {
            throw TokenError(.amountMismatch, "the token is for amount \(claims.amount), not \(amount)")
        }
        if let now, now >= claims.expiresAt {
            throw TokenError(.expired, "the token expired at \(claims.expiresAt)")
        }
        return claims
    }

    /// Separates each version's use of a key from any other: the MAC input starts with it.
    private static func domain(_ version: RewardToken.Version) -> [UInt8] {
        var writer = ByteWriter(capacity: 16)
        writer.string("reward-token-\(version)")
        return writer.bytes
    }

    /// HMAC-SHA256 over the domain, the header and the bound fields, truncated.
    private static func tag(mac: PreparedHMAC, version: RewardToken.Version, header: [UInt8], subject: TokenSubject) -> [UInt8] {
        var message = ByteWriter(capacity: 64 + subject.orderID.rawValue.utf8.count + subject.userID.utf8.count
            + subject.rewardType.utf8.count + subject.activityID.utf8.count)
        message.bytes += header
        message.string(subject.orderID.rawValue)
        message.string(subject.userID)
        message.string(subject.rewardType)
        if version.bindsActivity { message.string(subject.activityID) }
        return mac.authenticate(message.bytes, length: RewardToken.tagLength)
    }

    private static func constantTimeEqual(_ a: [UInt8], _ b: ArraySlice<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}

/// The grant a token is checked against: what the MAC binds, as the verifier expects it.
public struct TokenSubject: Sendable, Hashable {
    public var orderID: OrderID
    public var userID: String
    public var rewardType: String
    /// `nil`: take the token's amount, whatever it is (inspection); else it must match.
    public var amount: Int64?
    /// Bound from version 2; ignored for a version 1 token.
    public var activityID: String

    public init(orderID: OrderID, userID: String, rewardType: String, amount: Int64? = nil, activityID: String) {
        self.orderID = orderID
        self.userID = userID
        self.rewardType = rewardType
        self.amount = amount
        self.activityID = activityID
    }
}
