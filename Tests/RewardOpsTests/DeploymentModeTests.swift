import Foundation
import RewardCore
import RewardTestKit
import Testing

/// Development shortcuts are refused by real processes outside development mode, with a message
/// that says what to configure (issue 9, item 3).
@Suite("Production refuses development shortcuts")
struct DeploymentModeTests {
    static let devKey = "1:QqUOGI2yVqOTq1lwoWZLaRWwICgGrJqPW6rd+vXhAxQ="  // ops/config/dev.json
    static let privateKey = "3:" + Data((0..<32).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }).base64EncodedString()

    func admin(keys: String, current: String, mode: String?) throws -> AdminProcess {
        var extra = ["REWARD_TOKENS_KEYS": keys, "REWARD_TOKENS_CURRENT_KEY_ID": current, "REWARD_MODE": mode ?? ""]
        if mode == nil { extra["REWARD_MODE"] = "production" }
        return try AdminProcess(database: nil, harness: nil).adding(extra)
    }

    @Test("A published token key is refused in production by reward-admin, reward-consumer and reward-api; allowed in development")
    func publishedKeys() async throws {
        for key in [Self.devKey, "1:" + Data(repeating: 42, count: 32).base64EncodedString()] {
            let refused = try await admin(keys: key, current: "1", mode: "production").run(["token", "keys"])
            #expect(refused.status != 0)
            #expect(refused.errorOutput.contains("refusing to start"), "\(refused.errorOutput)")
            #expect(refused.errorOutput.contains("REWARD_TOKENS_KEYS"), "the message says what to configure")
            #expect(!refused.errorOutput.contains("QqUOGI2y"), "never the key")
        }
        let development = try await admin(keys: Self.devKey + "," + Self.privateKey, current: "3", mode: "development")
            .run(["token", "keys"])
        #expect(development.status == 0, "\(development.errorOutput)")
        #expect(development.output.contains("YES (development only)"), "\(development.output)")
        #expect(!development.output.contains("QqUOGI2y"), "keys are never shown")
        let production = try await admin(keys: Self.privateKey, current: "3", mode: nil).run(["token", "keys", "--json"])
        #expect(production.status == 0, "\(production.errorOutput)")
        #expect(production.output.contains("\"currentKeyID\" : 3") || production.output.contains("\"currentKeyID\":3"),
                "\(production.output)")
        let bogus = try await admin(keys: Self.privateKey, current: "3", mode: "staging").run(["token", "keys"])
        #expect(bogus.status != 0)
        #expect(bogus.errorOutput.contains("mode (REWARD_MODE) is 'staging'"), "\(bogus.errorOutput)")

        // The other executables read the ring the same way and stop before touching anything.
        let bin = try TestEnvironment.binPath()
        let environment = [
            "REWARD_CONFIG": "", "REWARD_MODE": "production", "REWARD_TOKENS_KEYS": Self.devKey, "REWARD_TOKENS_CURRENT_KEY_ID": "1",
            "REWARD_CATALOG_PATH": "\(TestEnvironment.repositoryRoot)/ops/config/reward-types.json",
            "REWARD_API_GATEWAY_KEY": "gateway-secret",
        ]
        let consumer = try await runExecutable("\(bin)/reward-consumer", ["--cluster", "A", "--topic", "reward-cash"],
                                               environment: environment, directory: TestEnvironment.repositoryRoot)
        #expect(consumer.status != 0)
        #expect(consumer.errorOutput.contains("refusing to start"), "\(consumer.errorOutput.suffix(600))")
        let api = try await runExecutable("\(bin)/reward-api", ["--port", "0"], environment: environment,
                                          directory: TestEnvironment.repositoryRoot)
        #expect(api.status != 0)
        #expect(api.errorOutput.contains("refusing to start"), "\(api.errorOutput.suffix(600))")
    }

    @Test("reward-api refuses to serve wallets without gateway authentication in production, and says which setting")
    func gatewayRequired() async throws {
        let bin = try TestEnvironment.binPath()
        let environment = [
            "REWARD_CONFIG": "", "REWARD_MODE": "production", "REWARD_TOKENS_KEYS": Self.privateKey, "REWARD_TOKENS_CURRENT_KEY_ID": "3",
            "REWARD_API_GATEWAY_KEY": "",
        ]
        let api = try await runExecutable("\(bin)/reward-api", ["--port", "0"], environment: environment,
                                          directory: TestEnvironment.repositoryRoot)
        #expect(api.status != 0)
        #expect(api.errorOutput.contains("api.gatewayKey (REWARD_API_GATEWAY_KEY)"), "\(api.errorOutput.suffix(600))")
    }
}
