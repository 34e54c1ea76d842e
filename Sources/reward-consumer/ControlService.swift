import Logging
import RewardStores
import ServiceLifecycle

/// Runs the process's ``ControlWatcher``: reads the controls once at start (a control database
/// that cannot be read leaves the defaults and the configured rates in force), then polls until shutdown.
struct ControlService: Service {
    let watcher: ControlWatcher
    let logger: Logger

    func run() async throws {
        do {
            try await watcher.load()
        } catch {
            logger.warning("controls not readable at start: running on defaults until they are", metadata: ["error": "\(error)"])
        }
        await cancelWhenGracefulShutdown { await watcher.run() }
    }
}
