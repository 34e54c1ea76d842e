/// A lane separates rewards whose downstreams behave differently, so a slow one never delays
/// a fast one: cash (the wallet ledger, high capacity) and goods (coupons, frames, prizes,
/// often slow third parties).
public enum Lane: String, Sendable, Codable, CaseIterable, Hashable {
    case cash
    case goods
}

/// One of the two Kafka clusters that carry the dual topics.
public struct ClusterName: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public static let a: ClusterName = "A"
    public static let b: ClusterName = "B"

    public var description: String { rawValue }
}

/// What a topic is for within its lane.
public enum TopicRole: String, Sendable, Codable, CaseIterable, Hashable {
    /// Granted rewards, as the SDK produces them.
    case main
    /// Events whose settlement failed with a retriable error, re-consumed after a delay.
    case retry
    /// Events that cannot be settled without a person: permanent errors, exhausted retries.
    case deadLetter = "dead-letter"
}
