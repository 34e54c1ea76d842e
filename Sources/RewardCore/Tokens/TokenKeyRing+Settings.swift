public import Configuration
import Foundation

extension TokenKeyRing {
    /// Builds a ring from the settings' text form: `1:<base64>,2:<base64>` (key id 0–255, each
    /// key at least 32 bytes of standard base64).
    ///
    /// Error messages name the key id and what is wrong, never the key material.
    /// - Parameters:
    ///   - keys: The `tokens.keys` setting.
    ///   - currentKeyID: The key new tokens are signed with.
    ///   - lifetime: How long a minted token stays presentable.
    /// - Throws: ``ConfigurationError`` (`tokens.invalid_keys`, `tokens.no_current_key`, `tokens.short_key`).
    public init(settings keys: String, currentKeyID: UInt8, lifetime: Duration = .seconds(30 * 24 * 3600))
        throws(ConfigurationError)
    {
        var parsed: [UInt8: [UInt8]] = [:]
        for (position, entry) in keys.split(separator: ",").enumerated() {
            let parts = entry.trimmingCharacters(in: .whitespaces).split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let id = UInt8(parts[0]) else {
                throw ConfigurationError(code: "tokens.invalid_keys",
                                         message: "entry \(position + 1) of tokens.keys is not <id 0-255>:<base64 key>")
            }
            guard let data = Data(base64Encoded: String(parts[1])) else {
                throw ConfigurationError(code: "tokens.invalid_keys", message: "token key \(id) is not valid base64")
            }
            guard parsed[id] == nil else {
                throw ConfigurationError(code: "tokens.invalid_keys", message: "token key \(id) appears twice")
            }
            parsed[id] = [UInt8](data)
        }
        try self.init(keys: parsed, currentKeyID: currentKeyID, lifetime: lifetime)
    }
}

extension TokenKeyRing {
    /// Reads the ring from the `tokens` scope of the settings, the same way in every process.
    ///
    /// ## Configuration keys
    /// - `keys` (string, **secret**, required): `1:<base64>,2:<base64>`, keys ≥ 32 bytes.
    /// - `currentKeyID` (int, required): the key new tokens are signed with.
    /// - `lifetimeSeconds` (int, default 30 days).
    /// - Throws: ``ConfigurationError``; messages never contain key material.
    public init(config: ConfigReader) throws(ConfigurationError) {
        guard let keys = config.string(forKey: "keys", isSecret: true), !keys.isEmpty else {
            throw ConfigurationError(code: "tokens.missing", message: "tokens.keys (REWARD_TOKENS_KEYS) is not set")
        }
        guard let current = config.int(forKey: "currentKeyID"), let currentKeyID = UInt8(exactly: current) else {
            throw ConfigurationError(code: "tokens.missing",
                                     message: "tokens.currentKeyID (REWARD_TOKENS_CURRENT_KEY_ID) is not set to a key id 0-255")
        }
        let lifetime = Duration.seconds(config.int(forKey: "lifetimeSeconds", default: 30 * 24 * 3600))
        try self.init(settings: keys, currentKeyID: currentKeyID, lifetime: lifetime)
    }
}
