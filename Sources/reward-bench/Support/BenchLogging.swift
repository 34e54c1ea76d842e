import Foundation
import Logging

/// Executables bootstrap logging once; the benchmark logs warnings and worse to stderr.
enum BenchLogging {
    private static let done: Void = {
        let level = ProcessInfo.processInfo.environment["REWARD_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .error
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }()

    static func logger(_ label: String) -> Logger {
        _ = done
        return Logger(label: label)
    }
}

func formatRate(_ value: Double) -> String {
    String(format: "%.0f", value)
}
