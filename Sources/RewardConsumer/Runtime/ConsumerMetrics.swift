public import Metrics

/// The counters an on-call engineer reads for one lane consumer (labels: lane, cluster, type).
public struct ConsumerMetrics: Sendable {
    let factory: any MetricsFactory
    let dimensions: [(String, String)]

    public init(factory: any MetricsFactory, cluster: String, lane: String) {
        self.factory = factory
        self.dimensions = [("cluster", cluster), ("lane", lane)]
    }

    func consumed(topic: String) { counter("reward_consumer_records_total", [("topic", topic)]).increment() }
    func settled(type: String, outcome: String) {
        counter("reward_consumer_settled_total", [("reward_type", type), ("outcome", outcome)]).increment()
    }
    func retried(type: String, via: String) { counter("reward_consumer_retries_total", [("reward_type", type), ("via", via)]).increment() }
    func deadLettered(reason: String) { counter("reward_consumer_dead_letters_total", [("reason", reason)]).increment() }
    /// A record that still failed after every retry: the number that matters most.
    func finalFailure(reason: String) { counter("reward_consumer_final_failures_total", [("reason", reason)]).increment() }
    func spilled(type: String) { counter("reward_consumer_spilled_total", [("reward_type", type)]).increment() }
    func paused(_ value: Bool) { Gauge(label: "reward_consumer_paused", dimensions: dimensions, factory: factory).record(value ? 1 : 0) }
    func inFlight(_ value: Int) { Gauge(label: "reward_consumer_in_flight", dimensions: dimensions, factory: factory).record(value) }
    func inFlightBytes(_ value: Int) {
        Gauge(label: "reward_consumer_in_flight_bytes", dimensions: dimensions, factory: factory).record(value)
    }
    /// Partitions paused because a record of theirs cannot be parked (dead-letter store or topic down).
    func parkingBlocked(_ partitions: Int) {
        Gauge(label: "reward_consumer_parking_blocked_partitions", dimensions: dimensions, factory: factory).record(partitions)
    }
    func rateLimitWait(type: String, seconds: Double) {
        Recorder(label: "reward_consumer_rate_limit_wait_seconds", dimensions: dimensions + [("reward_type", type)], factory: factory)
            .record(seconds)
    }

    private func counter(_ label: String, _ extra: [(String, String)]) -> Counter {
        Counter(label: label, dimensions: dimensions + extra, factory: factory)
    }
}
