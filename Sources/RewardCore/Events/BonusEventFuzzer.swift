package import Foundation

/// Fuzz target `bonus-event`: a lane record's value through ``BonusEvent/decode(_:)`` and, when it
/// decodes, through ``TokenKeyRing/verify(_:activityFrom:now:)`` as a consumer (our record, no
/// expiry) and as a client presentation would.
///
/// Invariants: a decoded event encodes and decodes back to itself; a verified grant is the event.
package struct BonusEventFuzzer: Fuzzer {
    let ring: TokenKeyRing
    let now: Date

    /// - Parameters:
    ///   - ring: The ring a consumer verifies with.
    ///   - now: The fixed clock for the client presentation.
    package init(ring: TokenKeyRing, now: Date) {
        self.ring = ring
        self.now = now
    }

    package func run(_ input: [UInt8]) throws(FuzzFailure) -> FuzzOutcome {
        let event: BonusEvent
        do {
            event = try BonusEvent.decode(input)
        } catch {
            try fuzzExpect(!error.message.isEmpty, "a refusal without a reason (\(error.code))")
            return .refused
        }
        let again: BonusEvent
        do {
            again = try BonusEvent.decode(event.encoded())
        } catch {
            throw FuzzFailure("a decoded event, encoded again, does not decode: \(error)")
        }
        try fuzzExpect(again == event, "a decoded event does not survive encode and decode: \(event) became \(again)")
        let consumer = try? ring.verify(event, activityFrom: .ourRecords, now: nil)
        if let consumer {
            try fuzzExpect(consumer.event == event && consumer.orderID == event.orderID, "verify changed the grant")
            try fuzzExpect(consumer.claims.amount == event.bonus.amount, "verified a token for another amount")
        }
        if let client = try? ring.verify(event, activityFrom: .client, now: now) {
            try fuzzExpect(consumer != nil, "a client's presentation verified where the consumer's did not")
            try fuzzExpect(client.claims.version.bindsActivity, "a client-named activity verified with a \(client.claims.version) token")
        }
        return consumer == nil ? .refused : .accepted
    }
}
