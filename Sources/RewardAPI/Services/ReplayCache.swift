import Synchronization

/// Signatures seen within the timestamp window, so a signed request is accepted once.
///
/// A replay carries the same timestamp as the original (the signature covers it), so signatures
/// are kept in one bucket per second of their timestamp, in a ring of `2 × window + 1` buckets: a
/// check or insert touches one bucket (O(1)), and a bucket is emptied when its slot is reused by a
/// second that is, by then, outside the window. Memory is bounded twice: callers are rate-limited
/// before they reach the cache, and a bucket holds at most `perSecondLimit` signatures; past that
/// the request is refused (fail closed), never admitted unchecked.
final class ReplayCache: Sendable {
    enum Verdict: Equatable {
        case fresh
        case replayed
        case full
    }

    /// The first 16 bytes of a MAC: enough to tell signatures apart, a quarter of the hex text.
    struct Fingerprint: Hashable {
        var high: UInt64
        var low: UInt64

        init(_ mac: [UInt8]) {
            var high: UInt64 = 0, low: UInt64 = 0
            for byte in mac.prefix(8) { high = high << 8 | UInt64(byte) }
            for byte in mac.dropFirst(8).prefix(8) { low = low << 8 | UInt64(byte) }
            self.high = high
            self.low = low
        }
    }

    private struct Bucket {
        var second: Int64 = .min
        var seen: Set<Fingerprint> = []
    }

    private let buckets: Mutex<[Bucket]>
    private let count: Int64
    private let perSecondLimit: Int

    /// - Parameters:
    ///   - windowSeconds: How far a timestamp may be from the clock (the verifier refuses the rest).
    ///   - perSecondLimit: Signatures kept per second of timestamp.
    init(windowSeconds: Int64, perSecondLimit: Int = 100_000) {
        count = 2 * max(1, windowSeconds) + 1
        self.perSecondLimit = perSecondLimit
        buckets = Mutex(Array(repeating: Bucket(), count: Int(count)))
    }

    /// Records a signature for a timestamp the caller already checked is within the window.
    func admit(_ mac: [UInt8], timestamp: Int64) -> Verdict {
        let fingerprint = Fingerprint(mac)
        let slot = Int((timestamp % count + count) % count)
        return buckets.withLock { buckets in
            if buckets[slot].second != timestamp {
                buckets[slot] = Bucket(second: timestamp, seen: [])
            }
            guard !buckets[slot].seen.contains(fingerprint) else { return .replayed }
            guard buckets[slot].seen.count < perSecondLimit else { return .full }
            buckets[slot].seen.insert(fingerprint)
            return .fresh
        }
    }
}
