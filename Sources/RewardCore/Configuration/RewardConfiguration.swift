public import Configuration
import Foundation

/// Where every service and tool reads its settings: `REWARD_*` environment variables first,
/// then the JSON file named by `REWARD_CONFIG` (if any).
///
/// Keys are dotted (`db.host`); the matching environment variable is `REWARD_DB_HOST`.
public enum RewardConfiguration {
    /// Builds the reader; `file` overrides `REWARD_CONFIG`.
    /// - Throws: when the named file is missing or not JSON.
    public static func reader(file: String? = nil) async throws -> ConfigReader {
        var providers: [any ConfigProvider] = [EnvironmentVariablesProvider().prefixKeys(with: "reward")]
        if let path = file ?? ProcessInfo.processInfo.environment["REWARD_CONFIG"], !path.isEmpty {
            providers.append(try await FileProvider<JSONSnapshot>(filePath: .init(path)))
        }
        return ConfigReader(providers: providers)
    }
}
