/// Where a consumer group stands on one partition, against what the partition still holds.
public struct GroupPartitionOffsets: Sendable, Hashable, Encodable {
    /// How the committed offset relates to the log; the two out-of-range cases halt a lane
    /// (its consumers run with `auto.offset.reset=error`).
    public enum Position: String, Sendable, Codable {
        /// Nothing committed: a lane consumer starts at the log start.
        case neverCommitted = "never-committed"
        case inRange = "in-range"
        /// Retention deleted records the group had not read: they are gone.
        case belowLogStart = "below-log-start"
        /// The log is shorter than the group's offset: it was truncated or recreated.
        case aboveLogEnd = "above-log-end"
    }

    public var partition: Int32
    /// The next offset the group will read; `nil` when it never committed here.
    public var committed: Int64?
    /// The oldest offset still in the log.
    public var logStart: Int64
    /// The offset the next record will get.
    public var logEnd: Int64
    /// When the oldest record still in the log was written (ms since the epoch), where it was read.
    public var logStartTimeMilliseconds: Int64?

    /// - Throws: ``OffsetsError/Code/brokerAnswer`` for watermarks no log can have (the numbers are
    ///   the cluster's, and everything below counts with them).
    public init(partition: Int32, committed: Int64?, logStart: Int64, logEnd: Int64) throws(OffsetsError) {
        guard logStart >= 0, logEnd >= logStart else {
            throw OffsetsError(.brokerAnswer, "partition \(partition): the cluster reported a log from \(logStart) to \(logEnd)")
        }
        self.partition = partition
        self.committed = committed.flatMap { $0 >= 0 ? $0 : nil }
        self.logStart = logStart
        self.logEnd = logEnd
    }

    public var position: Position {
        guard let committed else { return .neverCommitted }
        if committed < logStart { return .belowLogStart }
        if committed > logEnd { return .aboveLogEnd }
        return .inRange
    }

    public var isOutOfRange: Bool { position == .belowLogStart || position == .aboveLogEnd }

    /// The first record the group has not read, as far as this log can tell: the committed offset
    /// when it is in range, else the log start (above the log end the log was replaced, so its
    /// records count as unread).
    public var readFrom: Int64 {
        if position == .inRange, let committed { return committed }
        return logStart
    }

    /// Records in the log the group has not read.
    public var lag: Int64 { logEnd - readFrom }

    /// Records the group never read that are no longer in the log (below the log start).
    public var gone: Int64 {
        guard position == .belowLogStart, let committed else { return 0 }
        return logStart - committed
    }

    private enum CodingKeys: String, CodingKey {
        case partition, committed, logStart, logEnd, logStartTimeMilliseconds, position, outOfRange, lag, gone
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(partition, forKey: .partition)
        try container.encode(committed, forKey: .committed)
        try container.encode(logStart, forKey: .logStart)
        try container.encode(logEnd, forKey: .logEnd)
        try container.encodeIfPresent(logStartTimeMilliseconds, forKey: .logStartTimeMilliseconds)
        try container.encode(position, forKey: .position)
        try container.encode(isOutOfRange, forKey: .outOfRange)
        try container.encode(lag, forKey: .lag)
        try container.encode(gone, forKey: .gone)
    }
}

extension Int64 {
    /// Adds without trapping: counts summed over partitions stop at `Int64.max`.
    func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}
