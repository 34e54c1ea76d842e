import Foundation
public import Logging
import Synchronization

/// The one logging bootstrap of an executable: stderr at `REWARD_LOG_LEVEL`, else the tool's
/// default. Libraries never bootstrap; they only receive a `Logger`.
public enum ProcessLogging {
    private static let bootstrapped = Mutex(false)

    /// Bootstraps logging the first time it is called; later calls do nothing.
    /// - Parameter defaultLevel: The level when `REWARD_LOG_LEVEL` is unset or unknown.
    public static func bootstrapOnce(defaultLevel: Logger.Level) {
        let first = bootstrapped.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return }
        let level = ProcessInfo.processInfo.environment["REWARD_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? defaultLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
