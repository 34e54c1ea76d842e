public import RewardCore

/// Decodes a lane record and checks that it is a grant we issued: schema, fields, reward type,
/// lane, and the embedded token (signature for this order, user, type, amount and activity).
///
/// Expiry is not checked here: an event may wait in a backlog for longer than a token lives,
/// and waiting must not cost the user the reward.
public struct RecordVerifier: Sendable {
    public let catalog: RewardCatalog
    public let keyRing: TokenKeyRing
    public let lane: Lane

    public init(catalog: RewardCatalog, keyRing: TokenKeyRing, lane: Lane) {
        self.catalog = catalog
        self.keyRing = keyRing
        self.lane = lane
    }

    /// - Throws: ``Rejection`` with a dead-letter reason code.
    public func verify(_ value: [UInt8]?) throws(Rejection) -> (VerifiedGrant, RewardType) {
        let event: BonusEvent
        do {
            event = try BonusEvent.decode(value)
        } catch {
            throw Rejection(code: error.code.rawValue, message: error.message)
        }
        guard let type = catalog[event.bonus.rewardType] else {
            throw Rejection(code: "unknown_reward_type", message: "reward type \(event.bonus.rewardType) is not in this consumer's catalog")
        }
        guard type.lane == lane, event.lane == lane else {
            throw Rejection(code: "wrong_lane", message: "a \(type.lane) reward (\(type.id)) arrived on the \(lane) lane")
        }
        do {
            // The record is the SDK's own account of the grant: its activity is ours (a version 1
            // token does not bind it); expiry is not checked (see above).
            return (try keyRing.verify(event, activityFrom: .ourRecords, now: nil), type)
        } catch {
            throw Rejection(code: error.code.rawValue, message: error.message)
        }
    }
}
