import Prometheus

/// Histogram buckets per metric, where swift-prometheus's defaults would hide what matters.
///
/// The defaults start at 5 ms for timers and at 5 for recorders, so a wait of 0.3 s recorded in
/// seconds fell into the `le="5"` bucket, and a 3 ms grant was indistinguishable from a 5 ms one.
enum MetricBuckets {
    /// Rate-limit waits: a permit is due within one 100 ms slice, or a few slices when a type is saturated.
    static let rateLimitWaitSeconds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// SDK grants: the delivery budget is 40 ms and the promise 50 ms, so resolve every few ms below that.
    static let sdkGrant: [Duration] = [1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 35, 40, 45, 50, 75, 100, 250, 500, 1_000]
        .map { .milliseconds($0) }

    /// Timers (swift-metrics `Timer`, exported in seconds) by label.
    static let durations: [String: [Duration]] = [
        "reward_sdk_grant_duration_seconds": sdkGrant,
        "reward_rate_limit_wait_seconds": rateLimitWaitSeconds.map { .nanoseconds(Int64(($0 * 1e9).rounded())) },
    ]

    /// Recorders (swift-metrics `Recorder`, values as recorded) by label.
    static let values: [String: [Double]] = [
        "reward_consumer_rate_limit_wait_seconds": rateLimitWaitSeconds
    ]

    /// Hummingbird's request metrics, in Prometheus's naming: counters end in `_total`, durations name their unit.
    static let renamed: [String: String] = [
        "hb.requests": "hb_requests_total",
        "hb.request.errors": "hb_request_errors_total",
        "http.server.request.duration": "http_server_request_duration_seconds",
    ]
}
