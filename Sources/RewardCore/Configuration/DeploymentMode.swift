public import Configuration

/// Whether a process may take development shortcuts: a published token key, wallet endpoints
/// without gateway authentication. Production unless `mode` (`REWARD_MODE`) says `development`,
/// which `ops/dev-up`, `ops/demo` and `ops/test` set; the development config file does not, so a
/// copy of it in production still refuses its public key.
public enum DeploymentMode: String, Sendable, Hashable {
    case production
    case development

    /// Reads `mode`; unset means production.
    /// - Throws: ``ConfigurationError`` `mode.invalid` for any other value than the two.
    public init(config: ConfigReader) throws(ConfigurationError) {
        let text = config.string(forKey: "mode", default: "production")
        guard let mode = DeploymentMode(rawValue: text) else {
            throw ConfigurationError(code: "mode.invalid", message: "mode (REWARD_MODE) is '\(text)'; use production or development")
        }
        self = mode
    }

    /// Refuses a development shortcut outside development mode.
    /// - Parameters:
    ///   - shortcut: What the process would do, as a person reads it.
    ///   - fix: What to configure instead.
    /// - Throws: ``ConfigurationError`` `mode.development_only`.
    public func allow(_ shortcut: String, fix: String) throws(ConfigurationError) {
        guard self == .production else { return }
        throw ConfigurationError(code: "mode.development_only", message: """
            refusing to start: \(shortcut). \(fix) \
            (a local stack sets REWARD_MODE=development to allow this)
            """)
    }
}
