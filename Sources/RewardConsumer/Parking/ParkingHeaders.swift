public import Kafka

/// Headers a parked record carries on the retry and dead-letter topics, so it can be retried
/// at the right time and a person can see where it came from and why it stopped.
///
/// Anyone who can produce to our topics can set them: ``read(_:)`` range-checks every number
/// before the lane does arithmetic with it, and a record whose headers are out of range is
/// dead-lettered (`invalid_header`) instead of crashing or stalling the lane.
public enum ParkingHeaders {
    public static let attempts = "reward-attempts"
    public static let retryPasses = "reward-retry-passes"
    /// How long a retry-topic record waits once read, in milliseconds (a duration, not a time: the
    /// producing and the reading consumer's clocks never have to agree).
    public static let retryDelay = "reward-retry-delay-ms"
    /// Milliseconds since the epoch before which a retry-topic record must not be settled. Written
    /// for readers that predate ``retryDelay``; read only when that is absent, capped as a delay.
    public static let notBefore = "reward-not-before"
    public static let reason = "reward-reason"
    public static let reasonMessage = "reward-reason-message"
    public static let origin = "reward-origin"  // cluster/topic/partition@offset of the first copy

    /// The most a header may say; beyond is an outside value, not ours.
    public static let maximumAttempts: Int64 = 10_000
    public static let maximumRetryPasses: Int64 = 1_000
    public static let maximumRetryDelayMilliseconds: Int64 = 3_600_000
    /// A time from outside in milliseconds since the epoch: up to year 9999, never negative.
    public static let plausibleEpochMilliseconds: ClosedRange<Int64> = 0...253_402_300_799_999

    /// What the lane acts on, checked.
    public struct Parsed: Sendable, Equatable {
        public var attempts = 0
        public var retryPasses = 0
        /// How long to wait after reading; `nil` for a record that carries no retry timing.
        public var retryDelayMilliseconds: Int64?
    }

    public static func make(_ values: [String: String]) -> [KafkaHeader] {
        values.sorted { $0.key < $1.key }.map { KafkaHeader(name: $0.key, value: Array($0.value.utf8)) }
    }

    public static func string(_ name: String, in message: KafkaConsumerMessage) -> String? {
        message.headers.last { $0.name == name }?.value.map { String(decoding: $0, as: UTF8.self) }
    }

    /// Reads and range-checks the headers the lane acts on.
    /// - Parameter nowMilliseconds: this process's clock, only for a legacy `reward-not-before`.
    /// - Throws: ``Rejection`` `invalid_header`, naming the header and its allowed range.
    public static func read(_ message: KafkaConsumerMessage, nowMilliseconds: Int64) throws(Rejection) -> Parsed {
        var parsed = Parsed()
        parsed.attempts = Int(try number(attempts, in: message, range: 0...maximumAttempts) ?? 0)
        parsed.retryPasses = Int(try number(retryPasses, in: message, range: 0...maximumRetryPasses) ?? 0)
        if let delay = try number(retryDelay, in: message, range: 0...maximumRetryDelayMilliseconds) {
            parsed.retryDelayMilliseconds = delay
        } else if let due = try number(notBefore, in: message, range: plausibleEpochMilliseconds) {
            // Both operands are bounded, so the difference cannot overflow; the wait is capped.
            parsed.retryDelayMilliseconds = min(max(0, due - nowMilliseconds), maximumRetryDelayMilliseconds)
        }
        return parsed
    }

    /// A header's decimal value: `nil` when absent; refused when not 1–19 digits or outside `range`.
    static func number(_ name: String, in message: KafkaConsumerMessage, range: ClosedRange<Int64>) throws(Rejection) -> Int64? {
        guard let header = message.headers.last(where: { $0.name == name }) else { return nil }
        let bytes = header.value ?? []
        guard (1...19).contains(bytes.count), bytes.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let value = Int64(String(decoding: bytes, as: UTF8.self)), range.contains(value)
        else {
            throw Rejection(code: "invalid_header", message: "header \(name) must be a whole number in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }
}
