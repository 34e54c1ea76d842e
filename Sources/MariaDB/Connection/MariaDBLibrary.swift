import CMariaDB

/// Process-wide libmariadb initialisation, done once before the first connection.
enum MariaDBLibrary {
    /// `mysql_library_init` is not thread-safe, so it runs exactly once through a lazy global.
    private static let initialized: Bool = mysql_server_init(0, nil, nil) == 0

    /// Initialises the library on first call; `false` if that failed.
    @discardableResult
    static func ensureInitialized() -> Bool {
        initialized
    }
}
