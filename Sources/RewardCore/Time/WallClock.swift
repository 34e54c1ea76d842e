public import Foundation
import Synchronization

/// The wall clock of the consumer and the settlement engine: claim, credit and parking times,
/// and the 100 ms rate slices, which are aligned to the Unix epoch so that every process on every
/// machine (and the downstream) agrees where a slice starts.
///
/// One type, so that a whole process can be set off by a known amount (``ClockOffset``,
/// development only) and a test sees what a machine with a skewed clock does to the fleet.
/// Durations are measured on `ContinuousClock`, never on this.
public enum WallClock {
    public static let sliceNanoseconds: Int64 = 100_000_000

    private static let offsetNanoseconds = Atomic<Int64>(0)

    /// Nanoseconds since the Unix epoch, as this process sees them.
    public static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec) + offsetNanoseconds.load(ordering: .relaxed)
    }

    /// Milliseconds since the Unix epoch, as this process sees them.
    public static func milliseconds() -> Int64 { now() / 1_000_000 }

    /// Now as a `Date`, as this process sees it.
    public static func date() -> Date { Date(timeIntervalSince1970: Double(now()) / 1e9) }

    /// The offset this process runs with (zero unless ``skew(by:)`` was called).
    public static var offset: Duration { .nanoseconds(offsetNanoseconds.load(ordering: .relaxed)) }

    /// Sets the whole process off by `offset`, once at start-up, before any time is read.
    public static func skew(by offset: ClockOffset) {
        offsetNanoseconds.store(offset.milliseconds * 1_000_000, ordering: .relaxed)
    }
}
