import Foundation

/// The folder of secret files a process was given: `REWARD_SECRETS_DIRECTORY`, else systemd's
/// `CREDENTIALS_DIRECTORY` (set for a unit with `LoadCredential=`), else none.
///
/// The settings reader takes a setting from the file named like its key (`db-password`), and the
/// cluster directory's relative `secretFiles` paths (`kafka-a-password`) are read from here, so one
/// cluster directory serves every unit whatever folder systemd gave it.
public enum SecretsDirectory {
    public static var current: String? {
        let environment = ProcessInfo.processInfo.environment
        return [environment["REWARD_SECRETS_DIRECTORY"], environment["CREDENTIALS_DIRECTORY"]]
            .compactMap { $0 }.first { !$0.isEmpty }
    }

    /// `path` as given when absolute, else inside `directory` (when there is one).
    public static func resolve(_ path: String, in directory: String?) -> String {
        guard !path.hasPrefix("/"), let directory else { return path }
        return URL(fileURLWithPath: directory, isDirectory: true).appendingPathComponent(path).path
    }
}
