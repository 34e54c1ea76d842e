public import Kafka
public import RewardCore

/// A record taken from a lane's topic, decoded and verified, on its way to settlement.
public struct ConsumedRecord: Sendable {
    /// The grant, its token verified for exactly this record's order, user, type, amount and activity.
    public var grant: VerifiedGrant
    public var event: BonusEvent { grant.event }
    public var rewardType: RewardType
    public var message: KafkaConsumerMessage
    public var ticket: PartitionOffsets.Ticket
    /// Settlement attempts so far, over in-process retries and trips through the retry topic.
    public var attempts: Int
    /// Trips through the retry topic so far.
    public var retryTopicPasses: Int
}

/// Why a record cannot be settled at all: it goes to the dead-letter topic with this reason.
public struct Rejection: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
