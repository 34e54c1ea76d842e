import Synchronization

/// How fast one cluster has been acknowledging, as a recent high quantile.
///
/// Every acknowledgement counts, also one that arrives after its grant gave up on it: a slow but
/// healthy cluster must raise its own estimate, not look dead. Latencies go into a histogram of
/// 0.25 ms buckets (up to 200 ms, then one overflow bucket) per window of ``windowNanoseconds``;
/// the quantile reads the current and the previous window, so it follows a change within two
/// windows and never rests on a handful of samples from the last instant.
struct AckLatency: Sendable {
    static let bucketNanoseconds: UInt64 = 250_000
    static let buckets = 800  // 200 ms
    static let windowNanoseconds: UInt64 = 2_000_000_000
    /// Fewer samples than this in both windows: no estimate yet (the caller uses its floor).
    static let minimumSamples = 50

    private var current = [UInt32](repeating: 0, count: buckets + 1)
    private var previous = [UInt32](repeating: 0, count: buckets + 1)
    private var windowStart: UInt64 = 0

    mutating func record(_ latency: UInt64, now: UInt64) {
        rotate(now: now)
        let index = min(Int(latency / Self.bucketNanoseconds), Self.buckets)
        current[index] &+= 1
    }

    /// The `quantile` (0...1) of the last one to two windows, in nanoseconds (the bucket's upper
    /// edge); `nil` with too few samples. A value past 200 ms reads as 200 ms.
    mutating func quantile(_ quantile: Double, now: UInt64) -> UInt64? {
        rotate(now: now)
        var total = 0
        for index in 0...Self.buckets { total += Int(current[index]) + Int(previous[index]) }
        guard total >= Self.minimumSamples else { return nil }
        let rank = Int((Double(total) * min(max(quantile, 0), 1)).rounded(.up))
        var seen = 0
        for index in 0...Self.buckets {
            seen += Int(current[index]) + Int(previous[index])
            if seen >= rank { return UInt64(index + 1) * Self.bucketNanoseconds }
        }
        return UInt64(Self.buckets) * Self.bucketNanoseconds
    }

    private mutating func rotate(now: UInt64) {
        guard now &- windowStart >= Self.windowNanoseconds else { return }
        // Two windows or more without a sample: the old ones say nothing about now.
        if now &- windowStart >= 2 * Self.windowNanoseconds {
            previous = [UInt32](repeating: 0, count: Self.buckets + 1)
        } else {
            previous = current
        }
        current = [UInt32](repeating: 0, count: Self.buckets + 1)
        windowStart = now
    }
}

/// Per cluster: its acknowledgement latency and the hedge delay derived from it, cached so the
/// grant path reads one atomic instead of walking a histogram.
final class LatencyTracker: Sendable {
    struct Rule: Sendable, Equatable {
        /// Never hedge earlier than this.
        var floor: UInt64
        /// Never later than this (half the delivery budget: a hedge needs time to be acknowledged).
        var ceiling: UInt64
        /// The hedge waits `factor × p99` of the cluster it went to first.
        var factor: Double
        var quantile: Double = 0.99
    }

    private final class Cluster: Sendable {
        let histogram = Mutex(AckLatency())
        let delay: Atomic<UInt64>
        let refreshedAt = Atomic<UInt64>(0)

        init(floor: UInt64) { delay = Atomic(floor) }
    }

    private let clusters: [Cluster]
    let rule: Rule

    init(clusters count: Int, rule: Rule) {
        clusters = (0..<count).map { _ in Cluster(floor: rule.floor) }
        self.rule = rule
    }

    func record(cluster: Int, latency: UInt64, now: UInt64 = MonotonicClock.now()) {
        clusters[cluster].histogram.withLock { $0.record(latency, now: now) }
    }

    /// How long a grant waits for `cluster` before it also tries another: `factor × p99`,
    /// between the floor and the ceiling; the floor while the cluster has too few samples.
    func hedgeDelay(cluster: Int, now: UInt64 = MonotonicClock.now()) -> UInt64 {
        // Recomputed at most every 100 ms per cluster.
        let entry = clusters[cluster]
        if now &- entry.refreshedAt.load(ordering: .relaxed) >= 100_000_000 {
            entry.refreshedAt.store(now, ordering: .relaxed)
            let p = entry.histogram.withLock { $0.quantile(rule.quantile, now: now) }
            let delay = p.map { UInt64(Double($0) * rule.factor) } ?? rule.floor
            entry.delay.store(min(max(delay, rule.floor), rule.ceiling), ordering: .relaxed)
        }
        return entry.delay.load(ordering: .relaxed)
    }

    /// The cluster's current p99 (nanoseconds), for metrics and logs.
    func p99(cluster: Int, now: UInt64 = MonotonicClock.now()) -> UInt64? {
        clusters[cluster].histogram.withLock { $0.quantile(0.99, now: now) }
    }
}

/// How many grants may be hedged: a tenth of recent grants, at most. When both clusters are slow a
/// hedge cannot help, and hedging every grant would double the load that made them slow; failing
/// over after an error is not counted here (that attempt is not a duplicate).
final class HedgeBudget: Sendable {
    /// Tokens in thousandths: each grant earns `ratio`, each hedge costs 1, at most `burst` saved.
    private let tokens: Atomic<Int>
    private let earnedPerGrant: Int
    private let maximum: Int

    init(ratio: Double = 0.1, burst: Int = 50) {
        earnedPerGrant = Int(ratio * 1000)
        maximum = burst * 1000
        tokens = Atomic(maximum)
    }

    func grantStarted() {
        let (old, _) = tokens.wrappingAdd(earnedPerGrant, ordering: .relaxed)
        if old + earnedPerGrant > maximum { tokens.store(maximum, ordering: .relaxed) }
    }

    /// Takes one hedge if the budget has one.
    func take() -> Bool {
        var current = tokens.load(ordering: .relaxed)
        while current >= 1000 {
            let (exchanged, original) = tokens.compareExchange(expected: current, desired: current - 1000, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }
}
