import Foundation
public import Logging

/// A logger for tests that writes to stderr at `REWARD_TEST_LOG_LEVEL` (default `warning`, or the
/// given level), without touching the process-wide logging bootstrap.
public func makeTestLogger(_ label: String, level: Logger.Level? = nil) -> Logger {
    let level = ProcessInfo.processInfo.environment["REWARD_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? level ?? .warning
    return Logger(label: label) { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
}

/// A name no other test uses, for topics, groups and databases (letters, digits, `_` and `-`).
public func uniqueTestName(_ prefix: String) -> String {
    let suffix = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(10)
    return "\(prefix)_\(suffix)"
}
