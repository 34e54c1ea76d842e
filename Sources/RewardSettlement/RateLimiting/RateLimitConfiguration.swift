import Foundation
public import RewardCore

/// Rate limits per reward type, set to each downstream's capacity. Every rate is for the whole
/// fleet: ``RateShareCoordinator`` gives each consumer process its share.
///
/// JSON form (`ops/config/rate-limits.json`):
/// ```json
/// { "rates": { "cash_red_envelope": 300000, "prize_partner": 2000 },
///   "sharedDownstreams": { "partner": { "rate": 2000, "types": ["prize_partner", "coupon_10off"] } } }
/// ```
public struct RateLimitConfiguration: Sendable, Hashable, Codable {
    /// A downstream whose capacity several reward types share; cash-lane types take from it first.
    public struct SharedDownstream: Sendable, Hashable, Codable {
        /// Permits per second for all its types together.
        public var rate: Double
        /// The reward types that call it.
        public var types: [String]

        public init(rate: Double, types: [String]) {
            self.rate = rate
            self.types = types
        }
    }

    /// How an overload answer slows a type and how it recovers.
    public struct OverloadPolicy: Sendable, Hashable, Codable {
        /// Each signal multiplies the effective rate by this. Default 0.5.
        public var factor: Double = 0.5
        /// The effective rate never goes below this fraction of the configured rate. Default 0.05.
        public var floor: Double = 0.05
        /// The fraction of the configured rate won back per second. Default 0.1.
        public var recoveryPerSecond: Double = 0.1
        /// Signals closer together than this count once (a burst of 429s is one overload). Default 250.
        public var debounceMilliseconds: Int = 250

        public init() {}
    }

    /// Permits per second per reward type. A type without an entry is not limited.
    public var rates: [String: Double]
    /// Downstreams shared by several types, by name.
    public var sharedDownstreams: [String: SharedDownstream]
    /// The overload slowdown.
    public var overload: OverloadPolicy

    /// - Parameters:
    ///   - rates: Permits per second per reward type.
    ///   - sharedDownstreams: Shared capacities by downstream name.
    ///   - overload: The slowdown on overload signals.
    public init(rates: [String: Double] = [:], sharedDownstreams: [String: SharedDownstream] = [:],
                overload: OverloadPolicy = OverloadPolicy()) {
        self.rates = rates
        self.sharedDownstreams = sharedDownstreams
        self.overload = overload
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        rates = try container.decodeIfPresent([String: Double].self, forKey: .rates) ?? [:]
        sharedDownstreams = try container.decodeIfPresent([String: SharedDownstream].self, forKey: .sharedDownstreams) ?? [:]
        overload = try container.decodeIfPresent(OverloadPolicy.self, forKey: .overload) ?? OverloadPolicy()
    }

    /// Checks rates and shared downstreams.
    /// - Throws: ``ConfigurationError`` for a negative or non-finite rate, a type in two shared
    ///   downstreams, or an overload policy outside 0...1.
    public func validate() throws(ConfigurationError) {
        for (type, rate) in rates where !(rate.isFinite && rate >= 0) {
            throw ConfigurationError(code: "rate_limits.invalid_rate", message: "rate of \(type) must be a finite number >= 0")
        }
        var owner: [String: String] = [:]
        for (name, shared) in sharedDownstreams {
            guard shared.rate.isFinite, shared.rate >= 0 else {
                throw ConfigurationError(code: "rate_limits.invalid_rate", message: "rate of shared downstream \(name) must be >= 0")
            }
            for type in shared.types {
                if let other = owner[type] {
                    throw ConfigurationError(code: "rate_limits.shared_twice",
                                             message: "\(type) is in shared downstreams \(other) and \(name)")
                }
                owner[type] = name
            }
        }
        guard overload.factor > 0, overload.factor <= 1, overload.floor > 0, overload.floor <= 1,
              overload.recoveryPerSecond >= 0, overload.debounceMilliseconds >= 0
        else {
            throw ConfigurationError(code: "rate_limits.invalid_overload", message: "overload factor and floor must be in (0, 1]")
        }
    }

    /// Reads and validates the JSON file at `path`.
    /// - Throws: ``ConfigurationError`` when it is missing, not JSON of this shape, or invalid.
    public static func load(from path: String) throws(ConfigurationError) -> RateLimitConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(code: "rate_limits.missing", message: "no rate limit file at \(path)")
        }
        let configuration: RateLimitConfiguration
        do {
            configuration = try JSONDecoder().decode(RateLimitConfiguration.self, from: data)
        } catch {
            throw ConfigurationError(code: "rate_limits.unreadable", message: "\(path): \(error)")
        }
        try configuration.validate()
        return configuration
    }
}

/// Who goes first when reward types share a downstream's capacity.
public enum RateLimitPriority: Int, Sendable, Hashable, Comparable {
    /// Cash-lane types: served before any normal waiter.
    case high = 0
    /// Everything else.
    case normal = 1

    /// Cash first: the cash lane is high, the goods lane normal.
    public init(lane: Lane) {
        self = lane == .cash ? .high : .normal
    }

    public static func < (a: RateLimitPriority, b: RateLimitPriority) -> Bool { a.rawValue < b.rawValue }
}
