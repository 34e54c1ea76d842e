public import Foundation
public import RewardCore

/// What support sees about a token: its fields, and whether it verifies for an order and why not.
public struct TokenInspection: Sendable, Codable {
    public var formatVersion: Int
    public var keyID: Int
    public var keyKnown: Bool
    /// Whether the token's MAC covers the activity (format 2 and later).
    public var bindsActivity: Bool
    public var issuedAt: Date
    public var expiresAt: Date
    public var expired: Bool
    public var amount: Int64
    /// `valid`, or the refusal code (token_signature_mismatch, token_expired, ...); `nil` when not checked.
    public var verification: String?
    public var reason: String?

    /// The grant a token is checked against.
    public struct Order: Sendable {
        public var orderID: String
        public var userID: String
        public var rewardType: String
        public var amount: Int64?
        /// Checked for a format 2 token; a format 1 token does not bind it.
        public var activityID: String?

        public init(orderID: String, userID: String, rewardType: String, amount: Int64?, activityID: String?) {
            self.orderID = orderID
            self.userID = userID
            self.rewardType = rewardType
            self.amount = amount
            self.activityID = activityID
        }
    }

    /// Decodes a token; checks it against an order when `order` is given.
    /// - Throws: ``TokenError`` when the text is not a token at all.
    public init(token text: String, ring: TokenKeyRing, order: Order?, now: Date = Date(), checkExpiry: Bool = true)
        throws(TokenError)
    {
        let token = try RewardToken(parsing: text)
        formatVersion = Int(token.version.rawValue)
        keyID = Int(token.keyID)
        keyKnown = ring.keyIDs.contains(token.keyID)
        bindsActivity = token.version.bindsActivity
        issuedAt = Date(timeIntervalSince1970: TimeInterval(token.issuedAt))
        expiresAt = Date(timeIntervalSince1970: TimeInterval(token.expiresAt))
        expired = expiresAt <= now
        amount = token.amount
        guard let order else { return }
        if token.version.bindsActivity, order.activityID == nil {
            verification = "activity_required"
            reason = "a format \(formatVersion) token binds its activity: name it (--activity) to check the token"
            return
        }
        do {
            _ = try ring.check(text, for: TokenSubject(
                orderID: OrderID(order.orderID), userID: order.userID, rewardType: order.rewardType, amount: order.amount,
                activityID: order.activityID ?? ""), now: checkExpiry ? now : nil)
            verification = "valid"
        } catch {
            verification = error.code.rawValue
            reason = error.message
        }
    }
}
