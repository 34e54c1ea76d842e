/// The behaviour knobs of the simulated downstream, changeable live with `POST /control`.
public struct SimulatorKnobs: Sendable, Hashable, Codable {
    /// Requests admitted per 100 ms wall-clock slice; the rest get 429.
    public var capacityPerSlice: Int
    /// Added before every answer.
    public var latencyMilliseconds: Int
    /// The fraction of admitted requests answered 500 without crediting.
    public var errorRate: Double
    /// Clock offsets a test gave some senders (more than a minute, so that a stamp is never
    /// ambiguous): a `X-Reward-Paced-At` within a minute of now + an offset is counted as sent at
    /// stamp − offset, so a skewed sender's requests are counted at the real time they were paced
    /// for, not dropped as implausible.
    public var senderClockOffsetsMilliseconds: [Int64]

    public init(capacityPerSlice: Int = 100, latencyMilliseconds: Int = 0, errorRate: Double = 0,
                senderClockOffsetsMilliseconds: [Int64] = []) {
        self.capacityPerSlice = capacityPerSlice
        self.latencyMilliseconds = latencyMilliseconds
        self.errorRate = errorRate
        self.senderClockOffsetsMilliseconds = senderClockOffsetsMilliseconds
    }

    /// The real time a sender paced a request for: its stamp, less the offset of the sender's
    /// clock the stamp lies near (and that offset); nil for a stamp within a minute of none.
    func pacedTime(stamp: Int64, nowMilliseconds: Int64) -> (milliseconds: Int64, offset: Int64)? {
        let window: Int64 = 60_000
        for offset in [0] + senderClockOffsetsMilliseconds
        where (-SimulatorControl.maximumOffsetMilliseconds...SimulatorControl.maximumOffsetMilliseconds).contains(offset)
            && abs(nowMilliseconds + offset - stamp) <= window {
            return (stamp - offset, offset)
        }
        return nil
    }
}

/// The body of `POST /control`: only the fields present change.
public struct SimulatorControl: Sendable, Hashable, Codable {
    public var capacityPerSlice: Int?
    public var latencyMs: Int?
    public var errorRate: Double?
    public var senderClockOffsetsMs: [Int64]?

    public init(capacityPerSlice: Int? = nil, latencyMs: Int? = nil, errorRate: Double? = nil, senderClockOffsetsMs: [Int64]? = nil) {
        self.capacityPerSlice = capacityPerSlice
        self.latencyMs = latencyMs
        self.errorRate = errorRate
        self.senderClockOffsetsMs = senderClockOffsetsMs
    }

    /// The most sender clock offsets, and the largest one, a control may declare.
    public static let maximumOffsets = 16
    public static let maximumOffsetMilliseconds: Int64 = 86_400_000

    /// What is out of range, for a 400; nil when every field may be applied. The body is outside
    /// input: an offset of Int64.min would trap in `abs` on the next credit.
    public var problem: String? {
        if let capacityPerSlice, capacityPerSlice < 0 { return "capacityPerSlice must be ≥ 0" }
        if let latencyMs, !(0...60_000).contains(latencyMs) { return "latencyMs must be 0…60000" }
        if let errorRate, !(0...1).contains(errorRate) { return "errorRate must be 0…1" }
        if let offsets = senderClockOffsetsMs {
            if offsets.count > Self.maximumOffsets { return "at most \(Self.maximumOffsets) senderClockOffsetsMs" }
            if offsets.contains(where: { !(-Self.maximumOffsetMilliseconds...Self.maximumOffsetMilliseconds).contains($0) }) {
                return "each of senderClockOffsetsMs must be within ±\(Self.maximumOffsetMilliseconds) (a day)"
            }
        }
        return nil
    }
}

/// `GET /stats`: what the downstream saw, for exactly-once and rate-cap checks.
public struct SimulatorStats: Sendable, Hashable, Codable {
    /// Requests admitted in one 100 ms slice (slice = epoch ms / 100), 429s not counted.
    public struct Slice: Sendable, Hashable, Codable {
        public var slice: Int64
        public var count: Int
    }

    /// Credits made (first request per key).
    public var accepted: Int
    /// Distinct order ids credited: equals `accepted` when nothing was credited twice.
    public var distinctOrderIds: Int
    /// Repeats of a credited key with the same payload (answered 409 with the first reference).
    public var duplicates: Int
    /// Repeats of a credited key with another payload (answered 422).
    public var keyReused: Int
    /// Requests refused for the slice capacity (429).
    public var rejected429: Int
    /// Requests answered 500 by the injected error rate.
    public var injectedErrors: Int
    /// Requests without a key or with an unreadable body (400).
    public var invalid: Int
    public var capacityPerSlice: Int
    /// The most requests any slice admitted.
    public var maxPerSlice: Int
    /// The most admitted requests any slice of the senders' clocks held (`X-Reward-Paced-At`): what
    /// the senders' limiters emitted, without the network's and schedulers' jitter.
    public var maxPerPacedSlice: Int
    /// The longest time from a sender's `X-Reward-Paced-At` to its arrival here.
    public var maxTransitMilliseconds: Int64
    /// Admitted requests stamped by a sender with a declared clock offset
    /// (``SimulatorKnobs/senderClockOffsetsMilliseconds``): proof that the skew was on.
    public var pacedBySkewedSenders: Int
    /// The admitted count of each recent slice, oldest first.
    public var slices: [Slice]
}

/// The body of `POST /credits`.
struct CreditRequest: Codable {
    var orderId: String
    var userId: String
    var rewardType: String
    var amount: Int64
    var unit: String
}
