import Foundation
public import RewardCore

/// What an operator asked to drain: one topic of one cluster, optionally narrowed.
public struct DrainRequest: Sendable {
    public var cluster: ClusterName
    public var topic: String
    /// Only this partition; `nil` for all.
    public var partition: Int32?
    /// First offset to drain (inclusive); default: the group's committed offset or the log start,
    /// whichever is later, and never before the drain's own checkpoint.
    public var fromOffset: Int64?
    /// Offset to stop before (exclusive); default: the log end when the drain starts.
    public var toOffset: Int64?
    /// Only records whose timestamp is in this range (milliseconds since the epoch, end exclusive).
    public var fromTimeMilliseconds: Int64?
    public var toTimeMilliseconds: Int64?
    /// Only these reward types; empty for all.
    public var rewardTypes: Set<String> = []
    /// Records per second at most; `nil` for as fast as the engine settles.
    public var rate: Int?
    /// Records per settlement batch.
    public var batchSize = 500
    /// Consume as a member of the lane's consumer group (beside running consumers).
    public var join = false
    /// Start from the requested offsets even where a checkpoint is further on.
    public var ignoreCheckpoint = false

    public init(cluster: ClusterName, topic: String) {
        self.cluster = cluster
        self.topic = topic
    }

    /// Whether every record of the range is settled: only then may the group's offsets move past it.
    public var isUnfiltered: Bool { rewardTypes.isEmpty && fromTimeMilliseconds == nil && toTimeMilliseconds == nil }

    /// The checkpoint key of the filters: a drain resumes only a drain with the same filters.
    public var selection: String {
        guard !isUnfiltered else { return "all" }
        var parts: [String] = []
        if !rewardTypes.isEmpty { parts.append("types=\(rewardTypes.sorted().joined(separator: ","))") }
        if let fromTimeMilliseconds { parts.append("from=\(fromTimeMilliseconds)") }
        if let toTimeMilliseconds { parts.append("to=\(toTimeMilliseconds)") }
        return String(parts.joined(separator: ";").prefix(255))
    }

    /// Whether a record's timestamp falls in the requested time range.
    func includes(timestampMilliseconds: Int64) -> Bool {
        if let fromTimeMilliseconds, timestampMilliseconds < fromTimeMilliseconds { return false }
        if let toTimeMilliseconds, timestampMilliseconds >= toTimeMilliseconds { return false }
        return true
    }
}

/// The range a drain covers on one partition, and where it starts from.
public struct DrainPartitionPlan: Sendable, Codable, Hashable {
    public var partition: Int32
    public var logStart: Int64
    public var logEnd: Int64
    public var committed: Int64?
    public var checkpoint: Int64?
    /// First offset to read.
    public var start: Int64
    /// Offset to stop before.
    public var end: Int64

    public var records: Int64 { max(0, end - start) }
}

/// The whole plan: printed as the preview, carried out with `--execute`.
public struct DrainPlan: Sendable, Codable {
    public var cluster: String
    public var topic: String
    public var lane: String
    public var group: String
    public var selection: String
    public var activeConsumers: [String]
    public var partitions: [DrainPartitionPlan]

    public var total: Int64 { partitions.reduce(0) { $0 + $1.records } }
}

/// Why a drain did not start or could not go on; each with a message the operator can act on.
public struct DrainError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case unknownTopic = "unknown_topic"
        case unknownPartition = "unknown_partition"
        case consumersActive = "consumers_active"
        case invalidRange = "invalid_range"
        case settlementStalled = "settlement_stalled"
        case spoolUnreadable = "spool_unreadable"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
