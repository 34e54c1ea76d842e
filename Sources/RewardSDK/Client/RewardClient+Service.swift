public import ServiceLifecycle

extension RewardClient: Service {
    /// Starts the client (see ``start(timeout:)``; not ready is logged, not fatal: grants fail over
    /// and spool), runs until the service group shuts down gracefully (or the task is cancelled),
    /// then calls ``shutdown()``: put the client before the services that grant through it, so it
    /// stops after them.
    public func run() async throws {
        if !isReady { try? await start() }
        try? await gracefulShutdown()
        await shutdown()
    }
}
