import Foundation

/// Wall-clock time in nanoseconds since the Unix epoch: rate-limit slices are aligned to it, so
/// every process on every machine (and the downstream) agrees where a 100 ms slice starts.
enum WallClock {
    static let sliceNanoseconds: Int64 = 100_000_000

    static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}
