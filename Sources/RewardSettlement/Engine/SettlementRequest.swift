public import RewardCore

/// One granted reward to settle, and who asks for it.
///
/// It holds a ``VerifiedGrant``, which only a ``TokenKeyRing`` makes, so a request (and with it a
/// credit) cannot exist for a grant whose token was not verified for exactly that grant.
public struct SettlementRequest: Sendable, Hashable {
    /// The grant, verified.
    public let grant: VerifiedGrant
    /// The path that settles it; recorded on the claim as `claimed_by`.
    public let source: SettlementSource

    /// Creates a request.
    /// - Parameters:
    ///   - grant: The grant to settle, as the key ring verified it.
    ///   - source: The path that settles it.
    public init(grant: VerifiedGrant, source: SettlementSource) {
        self.grant = grant
        self.source = source
    }

    /// The verified grant's event.
    public var event: BonusEvent { grant.event }
}

/// The path a settlement comes from. Every path settles through the same engine, so whichever
/// claims an order id first wins and the others see it as already credited.
public enum SettlementSource: Sendable, Hashable {
    /// A consumer read the event from a topic partition.
    case consumer(cluster: String, topic: String, partition: Int32, offset: Int64)
    /// A withdrawal forces the user's pending rewards to settle first.
    case withdrawal(requestID: String)
    /// `reward-admin` drains a backlog.
    case drain
    /// A dead letter is replayed.
    case replay
    /// Reconciliation re-issues a missing credit.
    case repair

    /// The short name stored in `order_claims.claimed_by`: `consumer`, `withdrawal`, `drain`,
    /// `replay` or `repair`.
    public var label: String {
        switch self {
        case .consumer: "consumer"
        case .withdrawal: "withdrawal"
        case .drain: "drain"
        case .replay: "replay"
        case .repair: "repair"
        }
    }

    /// Where the request came from, for anomaly records and logs: `A/reward-cash/3@1234`,
    /// `withdrawal/<request id>`, `drain`. Contains ids only.
    public var detail: String {
        switch self {
        case .consumer(let cluster, let topic, let partition, let offset): "\(cluster)/\(topic)/\(partition)@\(offset)"
        case .withdrawal(let requestID): "withdrawal/\(requestID)"
        case .drain, .replay, .repair: label
        }
    }
}
