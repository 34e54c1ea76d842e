public import Configuration
import Foundation

/// Where every service and tool reads its settings: `REWARD_*` environment variables first, then
/// one file per secret in the secrets directory (if any), then the JSON file named by `REWARD_CONFIG`.
///
/// Keys are dotted (`db.host`); the matching environment variable is `REWARD_DB_HOST` and the
/// matching secret file is `db-password` for `db.password`. The secrets directory is
/// `REWARD_SECRETS_DIRECTORY`, else systemd's `CREDENTIALS_DIRECTORY` (`LoadCredential=`), so a
/// password never has to sit in the environment or in the JSON file.
public enum RewardConfiguration {
    /// Builds the reader; `file` overrides `REWARD_CONFIG`.
    /// - Throws: when the named file is missing or not JSON.
    public static func reader(file: String? = nil) async throws -> ConfigReader {
        var providers: [any ConfigProvider] = [EnvironmentVariablesProvider().prefixKeys(with: "reward")]
        if let directory = SecretsDirectory.current {
            guard FileManager.default.fileExists(atPath: directory) else {
                throw ConfigurationError(code: "secrets.directory_missing",
                                         message: "the secrets directory \(directory) does not exist (REWARD_SECRETS_DIRECTORY or CREDENTIALS_DIRECTORY)")
            }
            providers.append(try await DirectoryFilesProvider(directoryPath: .init(directory)))
        }
        if let path = file ?? ProcessInfo.processInfo.environment["REWARD_CONFIG"], !path.isEmpty {
            providers.append(try await FileProvider<JSONSnapshot>(filePath: .init(path)))
        }
        return ConfigReader(providers: providers)
    }
}
