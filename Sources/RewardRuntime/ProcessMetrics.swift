import Metrics
public import Prometheus

/// Process-wide metrics setup that only executables do (logging: `ProcessLogging` in RewardOps).
/// Libraries never touch these globals; they receive a `MetricsFactory`.
public enum ProcessMetrics {
    private static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// Bootstraps metrics once and returns the registry `/metrics` serves.
    public static func bootstrapOnce() -> PrometheusCollectorRegistry { registry }
}
