public import Foundation

/// Number and time formats for tables and progress lines.
public enum Formatting {
    /// `12.3` with `digits` decimals.
    public static func fixed(_ value: Double, _ digits: Int) -> String {
        String(format: "%.\(digits)f", value)
    }

    /// `45s`, `12m05s`, `3h02m`.
    public static func duration(seconds: Double) -> String {
        guard seconds.isFinite else { return "-" }
        // Lag comes from the brokers and rates can be tiny: a quotient past a year is not a time
        // anyone waits for, and past Int's range converting it would trap.
        guard seconds < 365 * 86_400 else { return "over a year" }
        let total = Int(max(0, seconds).rounded(.up))
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m\(String(format: "%02d", total % 60))s" }
        return "\(total / 3600)h\(String(format: "%02d", total % 3600 / 60))m"
    }

    /// `2026-02-16T20:00:00Z` (UTC, seconds).
    public static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// Parses `2026-02-16T20:00:00Z`, `2026-02-16T20:00Z` or `2026-02-16` (UTC).
    public static func parseTime(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds],
                                                      [.withFullDate]] {
            formatter.formatOptions = options
            if let date = formatter.date(from: text) { return date }
        }
        if text.count == 17, let date = formatter.date(from: text.dropLast() + ":00Z") { return date }  // 2026-02-16T20:00Z
        return nil
    }
}

/// A table a person can read: columns padded to their widest cell.
public struct TextTable: Sendable {
    public var headers: [String]
    public var rows: [[String]] = []

    public init(_ headers: [String]) { self.headers = headers }

    public mutating func add(_ row: [String]) { rows.append(row) }

    public var lines: [String] {
        let widths = headers.indices.map { column in
            ([headers[column]] + rows.map { column < $0.count ? $0[column] : "" }).map(\.count).max() ?? 0
        }
        return ([headers] + rows).map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
    }

    public var text: String { lines.joined(separator: "\n") }
}

/// JSON for `--json`: sorted keys, ISO 8601 dates.
public enum JSONOutput {
    public static func string(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
