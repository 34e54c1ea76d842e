/// What one daemon's `/metrics` said, or why it could not be read.
struct DaemonReading: Sendable {
    var daemon: ConsoleConfiguration.Daemon
    /// `nil` when the scrape worked.
    var failure: String?
    var samples: [PrometheusSample] = []

    /// The sum of a metric's samples, `nil` when the daemon does not export it.
    func total(_ name: String) -> Double? {
        let values = samples.filter { $0.name == name }.map(\.value)
        return values.isEmpty ? nil : values.reduce(0, +)
    }

    /// SDK records not yet acknowledged by a cluster (reward-api and other SDK hosts).
    var spoolDepth: Double? { total("reward_sdk_spool_depth") }
    var quarantined: Double? { total("reward_sdk_spool_quarantined") }
    var inFlight: Double? { total("reward_consumer_in_flight") }
    var paused: Double? { total("reward_consumer_paused") }
    var parkingBlocked: Double? { total("reward_consumer_parking_blocked_partitions") }
    /// The control store version the process applied (consumers and other control readers).
    var controlVersion: Double? { total("reward_control_version") }

    /// A metric's value as a whole number where it is one; NaN, infinities and values past
    /// `Int64` (a daemon's bytes are outside input) are shown as they are, never converted.
    static func whole(_ value: Double?) -> String {
        guard let value else { return "-" }
        guard value.isFinite, abs(value) < 9e15 else { return "\(value)" }
        return value == value.rounded() ? "\(Int64(value))" : "\(value)"
    }

    /// Healthy: scraped, not paused, no partition held by parking.
    var isHealthy: Bool { failure == nil && (paused ?? 0) == 0 && (parkingBlocked ?? 0) == 0 }
}
