/// What a test reads from a Prometheus text exposition: each metric's declared type and its
/// histogram buckets, so checks on names and buckets need no hand-written parsing.
struct PrometheusText {
    /// Metric name → `counter`, `gauge`, `histogram`, … from the `# TYPE` lines.
    let types: [String: String]
    private let lines: [Substring]

    init(_ text: String) {
        lines = text.split(separator: "\n")
        var types: [String: String] = [:]
        for line in lines where line.hasPrefix("# TYPE ") {
            let parts = line.split(separator: " ")
            if parts.count == 4 { types[String(parts[2])] = String(parts[3]) }
        }
        self.types = types
    }

    /// The distinct `le` bounds of a histogram, in seconds (or its unit), `+Inf` left out.
    func bucketBounds(_ histogram: String) -> [Double] {
        let bounds = lines.filter { $0.hasPrefix(histogram + "_bucket{") }.compactMap { line -> Double? in
            guard let start = line.range(of: "le=\"") else { return nil }
            return Double(line[start.upperBound...].prefix { $0 != "\"" })
        }
        return Array(Set(bounds)).sorted()
    }

    /// Observations of a histogram at or below `bound` (`.infinity`: all), summed over its series.
    func observations(_ histogram: String, atMost bound: Double) -> Double {
        lines.filter { $0.hasPrefix(histogram + "_bucket{") && $0.contains("le=\"") }.compactMap { line -> Double? in
            guard let start = line.range(of: "le=\""),
                  let le = Double(line[start.upperBound...].prefix { $0 != "\"" }), le == bound || abs(le - bound) < 1e-9 else { return nil }
            return line.split(separator: " ").last.flatMap { Double($0) }
        }.reduce(0, +)
    }
}
