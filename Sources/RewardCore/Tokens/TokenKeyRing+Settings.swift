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
    /// Reads the ring from the settings, the same way in every process, and refuses a published
    /// key (``PublishedKeys``) outside development mode.
    ///
    /// ## Configuration keys
    /// - `tokens.keys` (string, **secret**, required): `1:<base64>,2:<base64>`, keys ≥ 32 bytes.
    /// - `tokens.currentKeyID` (int, required): the key new tokens are signed with.
    /// - `tokens.lifetimeSeconds` (int, default 30 days).
    /// - `tokens.mintVersion` (int, default 2): 1 only during a rolling upgrade, while processes that
    ///   cannot verify version 2 still run.
    /// - `mode` (see ``DeploymentMode``).
    /// - Parameter config: The root reader (not scoped to `tokens`).
    /// - Throws: ``ConfigurationError``; messages never contain key material.
    public init(config root: ConfigReader) throws(ConfigurationError) {
        let mode = try DeploymentMode(config: root)
        let config = root.scoped(to: "tokens")
        guard let keys = config.string(forKey: "keys", isSecret: true), !keys.isEmpty else {
            throw ConfigurationError(code: "tokens.missing", message: "tokens.keys (REWARD_TOKENS_KEYS) is not set")
        }
        guard let current = config.int(forKey: "currentKeyID"), let currentKeyID = UInt8(exactly: current) else {
            throw ConfigurationError(code: "tokens.missing",
                                     message: "tokens.currentKeyID (REWARD_TOKENS_CURRENT_KEY_ID) is not set to a key id 0-255")
        }
        let seconds = config.int(forKey: "lifetimeSeconds", default: 30 * 24 * 3600)
        guard (60...(400 * 24 * 3600)).contains(seconds) else {
            throw ConfigurationError(code: "tokens.invalid_lifetime",
                                     message: "tokens.lifetimeSeconds is \(seconds); use 60 s to 400 days")
        }
        let versionNumber = config.int(forKey: "mintVersion", default: Int(RewardToken.Version.v2.rawValue))
        guard let byte = UInt8(exactly: versionNumber), let version = RewardToken.Version(rawValue: byte) else {
            throw ConfigurationError(code: "tokens.invalid_mint_version", message: "tokens.mintVersion is \(versionNumber); use 1 or 2")
        }
        try self.init(settings: keys, currentKeyID: currentKeyID, lifetime: .seconds(seconds))
        mintVersion = version
        if !publishedKeyIDs.isEmpty {
            let ids = publishedKeyIDs.map(String.init).joined(separator: ", ")
            try mode.allow(
                "the token key ring holds a key published in this repository (key id \(ids)), so anyone could mint tokens",
                fix: "Set tokens.keys (REWARD_TOKENS_KEYS) to keys from your secret store.")
        }
    }
}
