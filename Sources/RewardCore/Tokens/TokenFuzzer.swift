package import Foundation

/// Fuzz target `token`: any text presented as a token (a client's withdrawal, an event's token
/// field, `reward-admin token verify`) through parsing, ``TokenKeyRing/check(_:for:now:)`` and
/// ``TokenKeyRing/verify(_:activityFrom:now:)`` against one fixed grant.
///
/// Invariants: a parsed token has exactly one text form; `check` and `verify` agree; what they
/// accept is unexpired, for the grant's amount, and binds the activity when a client named it.
package struct TokenFuzzer: Fuzzer {
    let ring: TokenKeyRing
    let grant: BonusEvent
    let now: Date

    /// - Parameters:
    ///   - ring: The ring tokens are checked with.
    ///   - grant: The grant every token is checked against (its `token` is replaced by the input).
    ///   - now: The fixed clock, so a replayed input does what it did under the fuzzer.
    package init(ring: TokenKeyRing, grant: BonusEvent, now: Date) {
        self.ring = ring
        self.grant = grant
        self.now = now
    }

    package func run(_ input: [UInt8]) throws(FuzzFailure) -> FuzzOutcome {
        let text = String(decoding: input, as: UTF8.self)
        if let token = try? RewardToken(parsing: text) {
            try fuzzExpect(token.encoded == text, "token \(text) parsed but reads back as \(token.encoded)")
            try fuzzExpect(token.bytes.count == RewardToken.byteLength, "a parsed token holds \(token.bytes.count) bytes")
        }
        let subject = TokenSubject(orderID: grant.orderID, userID: grant.user.id, rewardType: grant.bonus.rewardType,
                                   amount: grant.bonus.amount, activityID: grant.activity.id)
        let checked: TokenClaims?
        do {
            checked = try ring.check(text, for: subject, now: now)
        } catch {
            checked = nil
        }
        if let claims = checked {
            try fuzzExpect(claims.amount == grant.bonus.amount, "accepted a token for amount \(claims.amount)")
            try fuzzExpect(claims.expiresAt > now, "accepted a token that expired at \(claims.expiresAt)")
            try fuzzExpect(claims.boundActivityID == (claims.version.bindsActivity ? grant.activity.id : nil),
                           "claims name bound activity \(claims.boundActivityID ?? "nil") for a \(claims.version) token")
        }
        // Inspection: any amount, no expiry. Whatever `check` accepted above, this accepts too.
        var inspection = subject
        inspection.amount = nil
        let inspected = try? ring.check(text, for: inspection, now: nil)
        try fuzzExpect(checked == nil || inspected == checked, "inspection refused a token that check accepted")

        var event = grant
        event.token = text
        for provenance in [ActivityProvenance.ourRecords, .client] {
            let verified = try? ring.verify(event, activityFrom: provenance, now: now)
            let expected = checked != nil && (provenance == .ourRecords || checked?.version.bindsActivity == true)
            try fuzzExpect((verified != nil) == expected,
                           "verify(\(provenance)) \(verified == nil ? "refused" : "accepted") what check \(checked == nil ? "refused" : "accepted")")
            if let verified {
                try fuzzExpect(verified.event == event && verified.claims == checked, "verify changed the grant or its claims")
            }
        }
        return checked == nil ? .refused : .accepted
    }
}
