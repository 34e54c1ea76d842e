public import Configuration
import Foundation
public import RewardCore

extension ConsoleConfiguration {
    /// Reads the `console` settings.
    ///
    /// ## Configuration keys
    /// - `console.operatorsFile` (required): JSON `{"operators": {"<name>": "<token>"}}`, tokens of
    ///   at least 16 characters; the file is a secret (readable by the console's user only)
    /// - `console.host`, `console.port`, `console.secureCookies`, `console.sessionHours`
    /// - `console.daemons`: `name=http://127.0.0.1:9101/metrics,…`, the daemons to scrape
    /// - `console.lagSample`, `console.creditWindowSeconds`, `console.maxReplays`
    /// - Parameter config: The root reader.
    /// - Throws: ``ConfigurationError`` naming the setting; messages never contain a token.
    public init(config: ConfigReader) throws(ConfigurationError) {
        let console = config.scoped(to: "console")
        guard let path = console.string(forKey: "operatorsFile"), !path.isEmpty else {
            throw ConfigurationError(code: "console.operators_missing",
                                     message: "console.operatorsFile (REWARD_CONSOLE_OPERATORS_FILE) must name the operators' token file")
        }
        self.init(operators: try OperatorDirectory.load(from: path))
        host = console.string(forKey: "host", default: host)
        port = console.int(forKey: "port", default: port)
        secureCookies = console.bool(forKey: "secureCookies", default: secureCookies)
        let hours = console.int(forKey: "sessionHours", default: 12)
        lagSampleLimit = console.int(forKey: "lagSample", default: lagSampleLimit)
        let window = console.int(forKey: "creditWindowSeconds", default: 30)
        maximumReplays = console.int(forKey: "maxReplays", default: maximumReplays)
        guard (0...65_535).contains(port), (1...72).contains(hours), (1...1_000_000).contains(lagSampleLimit),
              (1...3600).contains(window), (1...100).contains(maximumReplays)
        else {
            throw ConfigurationError(code: "console.invalid_limits", message: """
                console.port (0-65535), console.sessionHours (1-72), console.lagSample (1-1,000,000), \
                console.creditWindowSeconds (1-3600) and console.maxReplays (1-100) must be in range
                """)
        }
        sessionLifetime = .seconds(hours * 3600)
        creditWindow = .seconds(window)
        daemons = try Self.daemons(console.string(forKey: "daemons") ?? "")
    }

    /// `name=url,name=url` → daemons; each URL plain http (the daemons listen on loopback or the ops network).
    static func daemons(_ text: String) throws(ConfigurationError) -> [Daemon] {
        var daemons: [Daemon] = []
        for (position, entry) in text.split(separator: ",").enumerated() where !entry.isEmpty {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= 64,
                  let url = URL(string: parts[1]), url.scheme == "http", url.host != nil
            else {
                throw ConfigurationError(code: "console.invalid_daemon",
                                         message: "entry \(position + 1) of console.daemons is not name=http://host:port/metrics")
            }
            daemons.append(Daemon(name: parts[0], metricsURL: parts[1]))
        }
        return daemons
    }
}
