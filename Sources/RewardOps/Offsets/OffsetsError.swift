/// Why `reward-admin offsets` did not show or move a group's offsets, with a message the
/// operator can act on.
public struct OffsetsError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case unknownTopic = "unknown_topic"
        case unknownPartition = "unknown_partition"
        /// A requested offset lies outside the partition's log.
        case offsetOutsideLog = "offset_outside_log"
        /// The cluster cannot look offsets up by time (librdkafka's mock clusters).
        case timeLookupUnsupported = "time_lookup_unsupported"
        /// The group has live members: its offsets belong to them.
        case liveMembers = "live_members"
        /// The cluster's answer makes no sense (watermarks, a commit that did not stick).
        case brokerAnswer = "broker_answer"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
