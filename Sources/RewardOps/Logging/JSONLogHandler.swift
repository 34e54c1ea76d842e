import Foundation
public import Logging

/// One JSON object per line on standard error (`REWARD_LOG_FORMAT=json`), for a log shipper:
/// `time` (UTC, milliseconds), `level`, `logger`, `message`, and the metadata under `metadata`
/// (nested values flattened to strings). One `write` per line, so lines of concurrent loggers
/// never interleave.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String

    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        FileHandle.standardError.write(Data(Self.line(time: Date(), level: event.level, label: label, message: "\(event.message)",
                                                      metadata: merged).utf8))
    }

    /// The line for one event (with its newline).
    static func line(time: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        var object: [String: Any] = ["time": timestamp(time), "level": level.rawValue, "logger": label, "message": message]
        if !metadata.isEmpty { object["metadata"] = metadata.mapValues { "\($0)" } }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return #"{"level":"error","message":"a log line could not be encoded"}"# + "\n"
        }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    private static func timestamp(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = Date(timeIntervalSince1970: TimeInterval(milliseconds / 1000))
        let format = Date.ISO8601FormatStyle(timeZone: .gmt)
        let text = seconds.formatted(format)  // 2026-12-02T08:00:00Z
        return String(text.dropLast()) + String(format: ".%03dZ", Int(milliseconds % 1000))
    }
}
