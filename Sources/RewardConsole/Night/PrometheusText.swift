/// One sample of Prometheus text: `name{label="value"} 12`.
struct PrometheusSample: Sendable, Hashable {
    var name: String
    var labels: [String: String]
    var value: Double
}

/// A reader of the Prometheus text format, for the daemons' `/metrics`. Lines it cannot read are
/// skipped: a daemon's output is outside input, and one odd line must not hide the others.
enum PrometheusText {
    static func parse(_ text: String) -> [PrometheusSample] {
        text.split(whereSeparator: \.isNewline).compactMap { sample(Substring($0)) }
    }

    static func sample(_ line: Substring) -> PrometheusSample? {
        guard let first = line.first, first != "#" else { return nil }
        guard let nameEnd = line.firstIndex(where: { $0 == "{" || $0 == " " }) else { return nil }
        let name = String(line[..<nameEnd])
        var labels: [String: String] = [:]
        var rest = line[nameEnd...]
        if rest.first == "{" {
            guard let (parsed, after) = self.labels(rest.dropFirst()) else { return nil }
            labels = parsed
            rest = after
        }
        guard let valueText = rest.split(separator: " ").first, let value = Double(valueText) else { return nil }
        return PrometheusSample(name: name, labels: labels, value: value)
    }

    /// `a="x",b="y\"z"}` → labels and what follows the `}`.
    private static func labels(_ text: Substring) -> ([String: String], Substring)? {
        var labels: [String: String] = [:]
        var index = text.startIndex
        while index < text.endIndex {
            if text[index] == "}" { return (labels, text[text.index(after: index)...]) }
            if text[index] == "," || text[index] == " " {
                index = text.index(after: index)
                continue
            }
            guard let equals = text[index...].firstIndex(of: "="), text.index(after: equals) < text.endIndex,
                  text[text.index(after: equals)] == "\""
            else { return nil }
            let name = String(text[index..<equals])
            var value = ""
            var cursor = text.index(equals, offsetBy: 2)
            var closed = false
            while cursor < text.endIndex {
                let character = text[cursor]
                if character == "\\" {
                    cursor = text.index(after: cursor)
                    guard cursor < text.endIndex else { return nil }
                    value.append(text[cursor] == "n" ? "\n" : text[cursor])
                } else if character == "\"" {
                    closed = true
                    break
                } else {
                    value.append(character)
                }
                cursor = text.index(after: cursor)
            }
            guard closed else { return nil }
            labels[name] = value
            index = text.index(after: cursor)
        }
        return nil
    }
}
