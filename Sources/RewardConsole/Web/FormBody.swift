import Foundation

/// The fields of an `application/x-www-form-urlencoded` body (what a browser's form posts).
struct FormBody: Sendable {
    struct Malformed: Error {}

    private(set) var fields: [String: String] = [:]

    /// Parses `body`; a field that is not valid percent-encoded UTF-8, or appears twice, makes the
    /// whole body malformed (a form of ours never sends either).
    init(_ body: [UInt8]) throws(Malformed) {
        guard let text = String(validating: body, as: UTF8.self) else { throw Malformed() }
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]), let value = Self.decode(parts.count > 1 ? parts[1] : ""),
                  fields[name] == nil
            else { throw Malformed() }
            fields[name] = value
        }
    }

    subscript(_ name: String) -> String? { fields[name] }

    private static func decode(_ part: Substring) -> String? {
        part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
