public import ServiceLifecycle

extension RewardClient: Service {
    /// Runs until the service group shuts down gracefully (or the task is cancelled), then calls
    /// ``shutdown()``: put the client before the services that grant through it, so it stops after them.
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }
}
