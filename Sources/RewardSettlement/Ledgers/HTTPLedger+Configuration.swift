extension HTTPLedger {
    /// Where the downstream is and how hard to push it.
    public struct Configuration: Sendable {
        /// The downstream's base URL, e.g. `http://127.0.0.1:8080`; credits go to `POST <base>/credits`.
        public var baseURL: String
        /// Requests in flight at once (also the connection pool's size). Default 32.
        public var maxConcurrentRequests: Int = 32
        /// The whole request, connect to last byte. Default 2 s; a timed-out credit is retriable
        /// (the downstream may have credited it: the retry's `Idempotency-Key` makes that safe).
        public var requestTimeout: Duration = .seconds(2)
        /// Connecting alone. Default 1 s.
        public var connectTimeout: Duration = .seconds(1)
        /// Consecutive failures (timeouts, connection errors, 5xx) that open the circuit. Default 5.
        public var breakerFailureThreshold: Int = 5
        /// How long an open circuit refuses before one probe goes through. Default 5 s.
        public var breakerCoolDown: Duration = .seconds(5)
        /// A response header whose presence (any value but `0`) means "overloaded", besides 429.
        public var overloadHeader: String = "X-Overload"
        /// When set, every request first takes a permit of its reward type, so calls reach the
        /// downstream paced in 100 ms slices; 429s and overload headers slow that limiter down.
        /// Leave `nil` when the caller already paces these reward types with the same limiter.
        public var rateLimiter: RewardRateLimiter?

        /// - Parameter baseURL: The downstream's base URL.
        public init(baseURL: String) {
            self.baseURL = baseURL
        }
    }
}

/// A downstream said it is overloaded (429, or the overload header): slow down this reward type.
public struct OverloadSignal: Sendable, Hashable {
    /// The ledger that answered, e.g. `http:partner-prizes`.
    public var ledgerID: String
    /// The reward type of the request that was refused.
    public var rewardType: String
    /// The HTTP status.
    public var status: Int
    /// The downstream's `Retry-After`, when it sent one in seconds.
    public var retryAfter: Duration?
}
