public import Configuration
import Foundation
public import RewardCore

extension RewardAPIConfiguration {
    /// Reads the `api` settings, and refuses development shortcuts outside development mode.
    ///
    /// ## Configuration keys
    /// - `api.host`, `api.port`, `api.maxBodyBytes`, `api.userHeader`
    /// - `api.gatewayKey` (**secret**; required unless `mode` is development)
    /// - `api.services` (**secret**): `service-id:base64-secret,…`, each secret ≥ 32 bytes
    /// - `api.scopesFile`: JSON `{"services": {"<id>": {"activities": ["fest-*"], "rewardTypes": {"cash_red_envelope": 88800}}}}`;
    ///   every service in `api.services` needs a scope there
    /// - `api.callerBurst`, `api.callerPeriodMs`, `api.signatureWindowSeconds`
    /// - Parameter config: The root reader.
    /// - Throws: ``ConfigurationError`` naming the setting; messages never contain secrets.
    public init(config: ConfigReader) throws(ConfigurationError) {
        self.init()
        let api = config.scoped(to: "api")
        host = api.string(forKey: "host", default: host)
        port = api.int(forKey: "port", default: port)
        maximumBodyBytes = api.int(forKey: "maxBodyBytes", default: maximumBodyBytes)
        userHeader = api.string(forKey: "userHeader", default: userHeader)
        callerBurst = api.int(forKey: "callerBurst", default: callerBurst)
        callerPeriod = .milliseconds(api.int(forKey: "callerPeriodMs", default: 1000))
        signatureWindow = .seconds(api.int(forKey: "signatureWindowSeconds", default: 300))
        gatewayKey = api.string(forKey: "gatewayKey", isSecret: true).flatMap { $0.isEmpty ? nil : $0 }
        guard (1...65_535).contains(port) || port == 0, (1...(16 << 20)).contains(maximumBodyBytes),
              (1...1_000_000).contains(callerBurst), callerPeriod > .zero,
              (1...3600).contains(signatureWindow.components.seconds)
        else {
            throw ConfigurationError(code: "api.invalid_limits", message: """
                api.port (0-65535), api.maxBodyBytes (1 B-16 MiB), api.callerBurst (1-1,000,000), api.callerPeriodMs (> 0) \
                and api.signatureWindowSeconds (1-3600) must be in range
                """)
        }
        let secrets = try Self.serviceSecrets(api.string(forKey: "services", isSecret: true) ?? "")
        let scopes = try Self.scopes(file: api.string(forKey: "scopesFile"), needed: secrets.keys.sorted())
        for (id, secret) in secrets {
            guard let scope = scopes[id] else { continue }  // `scopes` has every id or threw
            services[id] = CallingService(secret: secret, scope: scope)
        }
        if gatewayKey == nil {
            try DeploymentMode(config: config).allow(
                "the wallet endpoints would trust X-Reward-User from any caller (api.gatewayKey is not set)",
                fix: "Set api.gatewayKey (REWARD_API_GATEWAY_KEY) to the secret your gateway sends in X-Reward-Gateway-Key.")
        }
    }

    /// `id:base64,id:base64` → secrets; each at least 32 bytes, ids as activity ids are written.
    static func serviceSecrets(_ text: String) throws(ConfigurationError) -> [String: [UInt8]] {
        var secrets: [String: [UInt8]] = [:]
        for (position, entry) in text.split(separator: ",").enumerated() where !entry.isEmpty {
            let parts = entry.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, GrantValidation.isIdentifier(String(parts[0])),
                  let data = Data(base64Encoded: String(parts[1])), data.count >= 32
            else {
                throw ConfigurationError(code: "api.invalid_service_secret",
                                         message: "entry \(position + 1) of api.services is not service-id:base64 with at least 32 bytes")
            }
            secrets[String(parts[0])] = [UInt8](data)
        }
        return secrets
    }

    private struct ScopesFile: Decodable {
        var services: [String: ServiceScope]
    }

    static func scopes(file: String?, needed: [String]) throws(ConfigurationError) -> [String: ServiceScope] {
        guard !needed.isEmpty else { return [:] }
        guard let file else {
            throw ConfigurationError(code: "api.missing_scopes",
                                     message: "api.services names \(needed.count) service(s) but api.scopesFile is not set")
        }
        let parsed: ScopesFile
        do {
            parsed = try JSONDecoder().decode(ScopesFile.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
        } catch {
            throw ConfigurationError(code: "api.invalid_scopes", message: "api.scopesFile \(file) is not a readable scopes JSON file")
        }
        for id in needed {
            guard let scope = parsed.services[id] else {
                throw ConfigurationError(code: "api.missing_scopes", message: "service \(id) has a secret but no scope in \(file)")
            }
            try scope.validate(service: id)
        }
        return parsed.services
    }
}
