import Metrics
public import Prometheus

/// Process-wide metrics setup that only executables do (logging: `ProcessLogging` in RewardOps).
/// Libraries never touch these globals; they receive a `MetricsFactory`.
public enum ProcessMetrics {
    private static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(factory(registry: registry))
        return registry
    }()

    /// Bootstraps metrics once and returns the registry `/metrics` serves.
    public static func bootstrapOnce() -> PrometheusCollectorRegistry { registry }

    /// The factory every executable bootstraps: our buckets per metric and Prometheus names for
    /// third-party labels. Tests use it to scrape what production would export.
    /// - Parameters:
    ///   - registry: Where the metrics are registered; `/metrics` emits it.
    public static func factory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = MetricBuckets.durations
        factory.valueHistogramBuckets = MetricBuckets.values
        factory.nameAndLabelSanitizer = { name, labels in (MetricBuckets.renamed[name] ?? name, labels) }
        return factory
    }
}
