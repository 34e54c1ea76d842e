public import Foundation

/// A grant whose token this process verified for exactly its order id, user, reward type, amount
/// and activity: the only thing the settlement engine settles.
///
/// Only ``TokenKeyRing/verify(_:activityFrom:now:)`` makes one. The initializer is internal to
/// RewardCore and every property is a `let`, so code outside this module can neither build one
/// from loose fields nor change a verified grant's user, amount or activity afterwards: a path that
/// pays without verifying does not compile (`Tests/RewardSettlementTests/VerifiedGrantGateTests`
/// compiles such a file and expects the compiler to refuse it). It is deliberately not `Decodable`.
public struct VerifiedGrant: Sendable, Hashable {
    /// The grant, with the activity the token bound (version 2) or our own records named (version 1).
    public let event: BonusEvent
    /// What the token says.
    public let claims: TokenClaims

    init(event: BonusEvent, claims: TokenClaims) {
        self.event = event
        self.claims = claims
    }

    public var orderID: OrderID { event.orderID }
}

/// Who vouches for a grant's activity, which a version 1 token does not bind.
public enum ActivityProvenance: Sendable, Hashable {
    /// Our own records of the grant: a lane record the SDK produced (or its dead-letter copy), the
    /// tokens store, the claims store.
    case ourRecords
    /// A client's request. A version 1 token is refused with this provenance
    /// (``TokenError/Code/activityUnbound``); a version 2 token binds the activity, so the MAC decides.
    case client
}

extension TokenKeyRing {
    /// Verifies the token an event carries for exactly that event's grant and returns the grant
    /// the settlement engine accepts.
    /// - Parameters:
    ///   - event: The grant as read from a lane record, a store, or a request.
    ///   - provenance: Where the event's activity came from (see ``ActivityProvenance``).
    ///   - now: The current time where a client presents the token; `nil` where an event waited in
    ///     a backlog (waiting must not cost the user the reward).
    /// - Throws: ``TokenError``: malformed, unsupported version, unknown key, signature mismatch
    ///   (any bound field altered), amount mismatch, expired, or activity unbound.
    public func verify(_ event: BonusEvent, activityFrom provenance: ActivityProvenance, now: Date?)
        throws(TokenError) -> VerifiedGrant
    {
        let subject = TokenSubject(orderID: event.orderID, userID: event.user.id, rewardType: event.bonus.rewardType,
                                   amount: event.bonus.amount, activityID: event.activity.id)
        let claims = try check(event.token, for: subject, now: now)
        if claims.boundActivityID == nil, provenance == .client {
            throw TokenError(.activityUnbound, """
                a version 1 token does not bind its activity, so it is settled from our own record of the grant \
                (its lane event or the tokens store), not from a client's request
                """)
        }
        return VerifiedGrant(event: event, claims: claims)
    }
}
