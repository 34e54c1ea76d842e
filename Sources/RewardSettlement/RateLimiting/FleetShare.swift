/// This process's part of one fleet-wide rate, and the instant after which it may not be used.
///
/// The expiry is checked each time a permit is handed out, not by a timer: a process that was
/// stopped (SIGSTOP, a long GC-like stall, a VM pause) past the time its lease could have been
/// handed to others resumes with no rate at all, instead of spending a stale share until some
/// loop notices (CI-like measurement: 238 requests in one 100 ms slice against a fleet limit of
/// 200, from an instance resumed after 5 s).
public struct FleetShare: Sendable, Equatable {
    /// 0...1 of the configured rate.
    public let fraction: Double
    /// After this instant (monotonic clock, which keeps counting while a process is stopped) the
    /// share is 0. `nil`: no expiry (a process alone, with no fleet to agree with).
    public let validUntil: ContinuousClock.Instant?

    /// - Parameters:
    ///   - fraction: Clamped to 0...1; a non-finite value is 0.
    ///   - validUntil: When the share stops being usable; `nil` for never.
    public init(fraction: Double, validUntil: ContinuousClock.Instant?) {
        self.fraction = fraction.isFinite ? min(1, max(0, fraction)) : 0
        self.validUntil = validUntil
    }

    /// The whole rate, for ever: a process that is the whole fleet.
    public static let whole = FleetShare(fraction: 1, validUntil: nil)
    /// Nothing.
    public static let none = FleetShare(fraction: 0, validUntil: nil)

    /// The usable fraction at `now`.
    public func fraction(at now: ContinuousClock.Instant) -> Double {
        if let validUntil, now >= validUntil { return 0 }
        return fraction
    }
}
