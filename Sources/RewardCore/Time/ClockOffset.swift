public import Configuration

/// A skew to run a process's ``WallClock`` with: the clock of a machine whose time is wrong, for
/// the chaos harness (`clock-skew`). Only ``init(config:)`` makes one, and it refuses outside
/// development mode, so no production process can be told to lie about the time.
public struct ClockOffset: Sendable, Hashable {
    public let milliseconds: Int64

    /// At most a day either way: enough for any skew worth testing, far from overflow.
    public static let limitMilliseconds: Int64 = 86_400_000

    private init(milliseconds: Int64) { self.milliseconds = milliseconds }

    /// Reads `clock.offsetMilliseconds` (`REWARD_CLOCK_OFFSET_MILLISECONDS`); nil when unset or 0.
    /// - Throws: ``ConfigurationError`` `clock.offset_invalid` for a value that is not a whole
    ///   number within a day, `mode.development_only` when set outside development mode.
    public init?(config: ConfigReader) throws(ConfigurationError) {
        guard let text = config.string(forKey: "clock.offsetMilliseconds"), !text.isEmpty else { return nil }
        guard text.utf8.count <= 12, let value = Int64(text), abs(value) <= Self.limitMilliseconds else {
            throw ConfigurationError(code: "clock.offset_invalid", message: """
                clock.offsetMilliseconds (REWARD_CLOCK_OFFSET_MILLISECONDS) is '\(text.prefix(40))'; \
                use a whole number of milliseconds within ±\(Self.limitMilliseconds)
                """)
        }
        guard value != 0 else { return nil }
        try DeploymentMode(config: config).allow(
            "clock.offsetMilliseconds would run this process \(value) ms off the real time",
            fix: "Unset REWARD_CLOCK_OFFSET_MILLISECONDS; it exists for the chaos harness only.")
        self.init(milliseconds: value)
    }
}
