public import CoreMetrics
public import Logging
import Synchronization

/// Keeps a process's view of the live controls current: polls the control version every
/// `interval` (one integer), reloads the controls when it moved and hands the new state to
/// `apply`. When the store cannot be read the last known state stays in force, so a control
/// database outage changes nothing; the failure is logged once per outage and counted.
///
/// Metrics: `reward_control_version` (gauge, the version applied) and
/// `reward_control_read_failures_total`.
public final class ControlWatcher: Sendable {
    public typealias Apply = @Sendable (_ new: ControlState, _ old: ControlState) -> Void

    public let store: ControlStore
    private let interval: Duration
    private let logger: Logger
    private let apply: Apply
    private let state = Mutex(ControlState())
    private let refusals = Mutex(GrantRefusals())
    private let failing = Mutex(false)
    private let versionGauge: Gauge
    private let failures: Counter

    /// - Parameters:
    ///   - store: The control store; give it a pool of its own (one connection, short timeouts),
    ///     or a poll queues behind the process's real work.
    ///   - interval: Between polls. Default 500 ms: a change is applied within 2 s with room for a slow read.
    ///   - logger: Applied changes at notice level (`controls applied`, with `version`).
    ///   - metrics: Where the gauge and counter go.
    ///   - apply: Called with the new and the previous state after each change, in order, never concurrently.
    public init(store: ControlStore, interval: Duration = .milliseconds(500), logger: Logger,
                metrics: any MetricsFactory = MetricsSystem.factory, apply: @escaping Apply = { _, _ in }) {
        self.store = store
        self.interval = interval
        self.logger = logger
        self.apply = apply
        versionGauge = Gauge(label: "reward_control_version", factory: metrics)
        failures = Counter(label: "reward_control_read_failures_total", factory: metrics)
    }

    /// The state in force.
    public var current: ControlState { state.withLock { $0 } }

    /// The reward types and activities switched off (the grant path's check; cheap).
    public var grantRefusals: GrantRefusals { refusals.withLock { $0 } }

    /// Reads the controls once and applies them. Call before serving, so a process starts with
    /// the switches in force; when it throws, the process runs on defaults until a poll succeeds.
    public func load() async throws {
        let fresh = try await store.state()
        install(fresh)
    }

    /// Polls until the task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            do {
                if try await store.version() != current.version { install(try await store.state()) }
                if failing.withLock({ let was = $0; $0 = false; return was }) {
                    logger.notice("control store readable again", metadata: ["version": "\(current.version)"])
                }
            } catch is CancellationError {
                return
            } catch {
                failures.increment()
                if !failing.withLock({ let was = $0; $0 = true; return was }) {
                    logger.warning("control store unreadable: keeping the last known controls", metadata: [
                        "version": "\(current.version)", "error": "\(error)",
                    ])
                }
            }
            try? await Task.sleep(for: interval)
        }
    }

    private func install(_ fresh: ControlState) {
        let old = state.withLock { state in
            let old = state
            state = fresh
            return old
        }
        versionGauge.record(fresh.version)
        guard fresh != old else { return }
        refusals.withLock { $0 = fresh.grantRefusals }
        for problem in fresh.unreadable where !old.unreadable.contains(problem) {
            logger.error("control row ignored", metadata: ["row": "\(problem)"])
        }
        let changed = Set(fresh.settings.keys).union(old.settings.keys).filter { fresh.settings[$0] != old.settings[$0] }.sorted()
        logger.notice("controls applied", metadata: [
            "version": "\(fresh.version)",
            "changes": "\(changed.map { "\($0)=\($0.format(fresh.value($0)))" }.joined(separator: ","))",
        ])
        apply(fresh, old)
    }
}
