public import Logging
public import RewardSettlement
import Synchronization

/// The rates a consumer's limiter runs at, from two sources: the rate-limits file (edited and
/// re-read while running) and the operators' live controls (`rate:<bucket>`), which win while
/// set. Each source reports its whole view; only buckets whose resulting rate changed are
/// touched, so a file edit never undoes an operator's override and a reset falls back to the file.
public final class LiveRates: Sendable {
    private let limiter: RewardRateLimiter
    private let logger: Logger
    private let sources: Mutex<Sources>

    private struct Sources {
        var file: RateLimitConfiguration
        var overrides: [String: Int64] = [:]
        var applied: [String: Double?]
    }

    /// - Parameters:
    ///   - limiter: The limiter, built from `file`.
    ///   - file: The rate-limits file as loaded at start.
    public init(limiter: RewardRateLimiter, file: RateLimitConfiguration, logger: Logger) {
        self.limiter = limiter
        self.logger = logger
        sources = Mutex(Sources(file: file, applied: Self.rates(file: file, overrides: [:])))
    }

    /// The rate-limits file changed.
    public func fileChanged(_ file: RateLimitConfiguration) {
        update { $0.file = file }
    }

    /// The live controls changed: `overrides` are the `rate:<bucket>` values now set.
    public func controlsChanged(_ overrides: [String: Int64]) {
        update { $0.overrides = overrides }
    }

    private func update(_ change: (inout Sources) -> Void) {
        let changes = sources.withLock { sources -> [(String, Double?)] in
            change(&sources)
            let next = Self.rates(file: sources.file, overrides: sources.overrides)
            let changed = Set(next.keys).union(sources.applied.keys)
                .filter { (next[$0] ?? nil) != (sources.applied[$0] ?? nil) }.sorted()
            sources.applied = next
            return changed.map { ($0, next[$0] ?? nil) }
        }
        for (bucket, rate) in changes {
            if bucket.hasPrefix("shared:") {
                let name = String(bucket.dropFirst("shared:".count))
                // A shared downstream's bucket exists for the process's life; it cannot lose its limit.
                guard let rate else { continue }
                guard limiter.effectiveRate(sharedDownstream: name) != nil else {
                    logger.warning("no shared downstream of that name in this consumer: rate ignored", metadata: ["bucket": "\(bucket)"])
                    continue
                }
                limiter.setSharedRate(downstream: name, to: rate)
            } else {
                limiter.setRate(rewardType: bucket, to: rate)
            }
            logger.notice("rate changed", metadata: ["bucket": "\(bucket)", "rate": "\(rate.map { "\($0)" } ?? "none")"])
        }
    }

    /// Every bucket's fleet rate: the override when set, else the file's; `nil`: no limit.
    static func rates(file: RateLimitConfiguration, overrides: [String: Int64]) -> [String: Double?] {
        var rates: [String: Double?] = file.rates.mapValues { $0 }
        for (name, shared) in file.sharedDownstreams { rates["shared:\(name)"] = shared.rate }
        for (bucket, rate) in overrides { rates[bucket] = Double(rate) }
        return rates
    }
}
