public import Foundation
public import RewardCore

/// What support sees about a token: its fields, and whether it verifies for an order and why not.
public struct TokenInspection: Sendable, Codable {
    public var formatVersion: Int
    public var keyID: Int
    public var keyKnown: Bool
    public var issuedAt: Date
    public var expiresAt: Date
    public var expired: Bool
    public var amount: Int64
    /// `valid`, or the refusal code (token_bad_signature, token_expired, ...); `nil` when not checked.
    public var verification: String?
    public var reason: String?

    /// Decodes a token; checks it against an order when `order` is given.
    /// - Throws: ``TokenError`` when the text is not a token at all.
    public init(token text: String, ring: TokenKeyRing, order: (orderID: String, userID: String, rewardType: String, amount: Int64?)?,
                now: Date = Date(), checkExpiry: Bool = true) throws(TokenError) {
        let token = try RewardToken(parsing: text)
        formatVersion = Int(RewardToken.formatVersion)
        keyID = Int(token.keyID)
        keyKnown = ring.keyIDs.contains(token.keyID)
        issuedAt = Date(timeIntervalSince1970: TimeInterval(token.issuedAt))
        expiresAt = Date(timeIntervalSince1970: TimeInterval(token.expiresAt))
        expired = expiresAt <= now
        amount = token.amount
        guard let order else { return }
        do {
            if let amount = order.amount {
                _ = try ring.verify(text, orderID: OrderID(order.orderID), userID: order.userID, rewardType: order.rewardType,
                                    amount: amount, now: checkExpiry ? now : nil)
            } else {
                _ = try ring.verify(text, orderID: OrderID(order.orderID), userID: order.userID, rewardType: order.rewardType,
                                    now: checkExpiry ? now : nil)
            }
            verification = "valid"
        } catch {
            verification = error.code.rawValue
            reason = error.message
        }
    }
}
