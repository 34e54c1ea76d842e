import Foundation
public import Logging
import Synchronization

/// The one logging bootstrap of an executable: stderr at `REWARD_LOG_LEVEL`, else the tool's
/// default, as text or, with `REWARD_LOG_FORMAT=json`, one JSON object per line
/// (``JSONLogHandler``). Libraries never bootstrap; they only receive a `Logger`.
public enum ProcessLogging {
    private static let bootstrapped = Mutex(false)

    /// How lines are written.
    public enum Format: String, Sendable {
        case text, json
    }

    /// Bootstraps logging the first time it is called; later calls do nothing. An unknown
    /// `REWARD_LOG_FORMAT` is said on the first line (in text) rather than stopping the process:
    /// a daemon that cannot log the way asked still logs.
    /// - Parameter defaultLevel: The level when `REWARD_LOG_LEVEL` is unset or unknown.
    public static func bootstrapOnce(defaultLevel: Logger.Level) {
        let first = bootstrapped.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return }
        let environment = ProcessInfo.processInfo.environment
        let level = environment["REWARD_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? defaultLevel
        let asked = environment["REWARD_LOG_FORMAT"].map { $0.lowercased() } ?? ""
        let format = Format(rawValue: asked) ?? .text
        LoggingSystem.bootstrap { label in
            switch format {
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
        if !asked.isEmpty, Format(rawValue: asked) == nil {
            Logger(label: "reward.logging").warning(
                "REWARD_LOG_FORMAT is '\(asked.prefix(40))'; use text or json (logging as text)")
        }
    }
}
