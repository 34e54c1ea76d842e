public import Foundation

/// Where `reward-admin offsets reset` points a group, per partition.
public enum OffsetResetTarget: Sendable, Hashable, CustomStringConvertible {
    /// The oldest record still in the log: nothing still there is skipped.
    case earliest
    /// The log end: every record still in the log is skipped.
    case latest
    /// The first record written at or after this time (the cluster's offsets-for-times lookup).
    case time(Date)
    /// This offset, which must lie within each selected partition's log.
    case offset(Int64)

    public var description: String {
        switch self {
        case .earliest: "earliest"
        case .latest: "latest"
        case .time(let date): "time \(Formatting.timestamp(date))"
        case .offset(let offset): "offset \(offset)"
        }
    }

    /// A time as Kafka wants it: milliseconds since the epoch, never negative (Kafka reads -1 and -2
    /// as "latest" and "earliest"), checked before converting so no date can trap.
    static func milliseconds(_ date: Date) throws(OffsetsError) -> Int64 {
        let value = date.timeIntervalSince1970 * 1000
        guard value.isFinite, value >= 0, value < 9.0e15 else {
            throw OffsetsError(.offsetOutsideLog, "--to-time \(Formatting.timestamp(date)) is before 1970 or too far ahead")
        }
        return Int64(value)
    }
}

/// What an operator asked to reset: one lane topic's partitions for its lane group.
public struct OffsetResetRequest: Sendable {
    public var topic: String
    public var target: OffsetResetTarget
    /// Only this partition; `nil` for all.
    public var partition: Int32?
    /// Only partitions whose committed offset left the log (the ones that halt the lane).
    public var onlyOutOfRange = false

    public init(topic: String, target: OffsetResetTarget) {
        self.topic = topic
        self.target = target
    }
}
