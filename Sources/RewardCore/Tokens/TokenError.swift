public import Foundation

/// What a token says once verified.
public struct TokenClaims: Sendable, Hashable {
    public let version: RewardToken.Version
    public let keyID: UInt8
    public let orderID: OrderID
    public let userID: String
    public let rewardType: String
    public let amount: Int64
    /// The activity the MAC bound; `nil` for a version 1 token, which did not bind it.
    public let boundActivityID: String?
    public let issuedAt: Date
    public let expiresAt: Date
}

/// Why a token was refused: each reason its own code, for metrics and for the user's answer.
public struct TokenError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, Codable, CaseIterable {
        /// Not 46 base64url characters, or random bytes.
        case malformed = "token_malformed"
        case unsupportedVersion = "token_unsupported_version"
        /// Signed with a key this ring no longer (or never) held.
        case unknownKey = "token_unknown_key"
        /// Altered, forged, or issued for another order id, user, reward type or activity.
        case signatureMismatch = "token_signature_mismatch"
        case expired = "token_expired"
        /// The token is genuine but names another amount than the grant presented with it.
        case amountMismatch = "token_amount_mismatch"
        /// A version 1 token (which does not bind its activity) presented with an activity that only
        /// the client vouches for: it can be settled from our own records of the grant, not this way.
        case activityUnbound = "token_activity_unbound"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
