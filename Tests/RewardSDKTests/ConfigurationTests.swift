import Configuration
import Foundation
import RewardCore
@testable import RewardSDK
import RewardTestKit
import Testing

@Suite("RewardClientConfiguration from settings")
struct ConfigurationTests {
    static let key1 = Data(repeating: 1, count: 32).base64EncodedString()
    static let key2 = Data(repeating: 2, count: 32).base64EncodedString()

    func reader(_ values: [String: ConfigValue]) throws -> (ConfigReader, String) {
        let file = NSTemporaryDirectory() + uniqueTestName("clusters") + ".json"
        try ClusterDirectory(clusters: ["A": .init(bootstrapServers: "127.0.0.1:1,127.0.0.1:2"),
                                        "B": .init(bootstrapServers: "127.0.0.1:3")]).write(to: file)
        var all: [AbsoluteConfigKey: ConfigValue] = [
            "kafka.clusters": .init(.string(file), isSecret: false),
            "sdk.catalog": .init(.string("\(TestEnvironment.repositoryRoot)/ops/config/reward-types.json"), isSecret: false),
        ]
        for (key, value) in values { all[AbsoluteConfigKey(stringLiteral: key)] = value }
        return (ConfigReader(provider: InMemoryProvider(values: all)), file)
    }

    @Test("Keys, weights, deadlines and the recorder switch are read")
    func readsSettings() throws {
        let (config, file) = try reader([
            "tokens.keys": .init(.string("1:\(Self.key1),2:\(Self.key2)"), isSecret: true),
            "tokens.currentKeyID": .init(.int(2), isSecret: false),
            "sdk.weights": .init(.string("A:3,B:1"), isSecret: false),
            "sdk.delivery.hedgeFloorMs": .init(.int(15), isSecret: false),
            "sdk.spool.directory": .init(.string("/tmp/spool-x"), isSecret: false),
            "db.name": .init(.string("reward"), isSecret: false),
            "sdk.recorder.batchSize": .init(.int(128), isSecret: false),
        ])
        defer { try? FileManager.default.removeItem(atPath: file) }
        let configuration = try RewardClientConfiguration(config: config)
        #expect(configuration.clusters.map(\.name) == [.a, .b])
        #expect(configuration.clusters.map(\.weight) == [3, 1])
        #expect(configuration.clusters[0].bootstrapServers == ["127.0.0.1:1", "127.0.0.1:2"])
        #expect(configuration.keyRing.currentKeyID == 2)
        #expect(configuration.keyRing.keyIDs == [1, 2])
        #expect(configuration.delivery.hedgeFloor == .milliseconds(15))
        #expect(configuration.delivery.budget == .milliseconds(40))
        #expect(configuration.spool.directory == "/tmp/spool-x")
        #expect(configuration.catalog["cash_red_envelope"]?.lane == .cash)
        #expect(configuration.tokenRecording?.database.database == "reward")
        #expect(configuration.tokenRecording?.batchSize == 128)
        #expect(configuration.topic(for: .goods) == "reward-goods")
    }

    @Test("Missing or malformed keys are refused without echoing key material; no db means no recorder")
    func refusesBadKeys() throws {
        let (missing, file1) = try reader([:])
        defer { try? FileManager.default.removeItem(atPath: file1) }
        #expect(throws: ConfigurationError.self) { try RewardClientConfiguration(config: missing) }

        let secret = "1:not-base64-\(Self.key1.prefix(10))"
        let (bad, file2) = try reader([
            "tokens.keys": .init(.string(secret), isSecret: true),
            "tokens.currentKeyID": .init(.int(1), isSecret: false),
        ])
        defer { try? FileManager.default.removeItem(atPath: file2) }
        do {
            _ = try RewardClientConfiguration(config: bad)
            Issue.record("a malformed key was accepted")
        } catch {
            #expect(error.code == "tokens.invalid_keys")
            #expect(!error.message.contains(Self.key1.prefix(10)))
        }

        let (plain, file3) = try reader([
            "tokens.keys": .init(.string("1:\(Self.key1)"), isSecret: true),
            "tokens.currentKeyID": .init(.int(1), isSecret: false),
        ])
        defer { try? FileManager.default.removeItem(atPath: file3) }
        #expect(try RewardClientConfiguration(config: plain).tokenRecording == nil)
    }

    @Test("The development settings file parses and names its key as development only")
    func devConfig() throws {
        let path = "\(TestEnvironment.repositoryRoot)/ops/config/dev.json"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.lowercased().contains("development only"))
        struct File: Decodable {
            struct Tokens: Decodable {
                var keys: String
                var currentKeyID: Int
            }
            var tokens: Tokens
        }
        let file = try JSONDecoder().decode(File.self, from: Data(text.utf8))
        let ring = try TokenKeyRing(settings: file.tokens.keys, currentKeyID: UInt8(file.tokens.currentKeyID))
        #expect(ring.keyIDs.contains(UInt8(file.tokens.currentKeyID)))
    }

    @Test("The key ring refuses a published key outside development mode, a bad mode, lifetime or format; sdk.serviceID is read")
    func keyRingSettings() throws {
        let published = Data(repeating: 42, count: 32).base64EncodedString()
        func ring(_ extra: [String: ConfigValue]) throws -> TokenKeyRing {
            var values: [String: ConfigValue] = [
                "tokens.keys": .init(.string("1:\(published),2:\(Self.key2)"), isSecret: true),
                "tokens.currentKeyID": .init(.int(2), isSecret: false),
            ]
            values.merge(extra) { $1 }
            return try TokenKeyRing(config: try reader(values).0)
        }
        #expect(throws: ConfigurationError.self) { try ring([:]) }  // production by default
        do {
            _ = try ring(["mode": .init(.string("production"), isSecret: false)])
            Issue.record("a published key was accepted in production")
        } catch let error as ConfigurationError {
            #expect(error.code == "mode.development_only")
            #expect(error.message.contains("key id 1") && !error.message.contains(published))
        }
        let development = try ring(["mode": .init(.string("development"), isSecret: false)])
        #expect(development.publishedKeyIDs == [1])
        #expect(development.mintVersion == .v2)
        #expect(throws: ConfigurationError.self) { try ring(["mode": .init(.string("prod"), isSecret: false)]) }
        let dev = ConfigValue(.string("development"), isSecret: false)
        #expect(try ring(["mode": dev, "tokens.mintVersion": .init(.int(1), isSecret: false)]).mintVersion == .v1)
        #expect(throws: ConfigurationError.self) { try ring(["mode": dev, "tokens.mintVersion": .init(.int(3), isSecret: false)]) }
        #expect(throws: ConfigurationError.self) { try ring(["mode": dev, "tokens.lifetimeSeconds": .init(.int(-5), isSecret: false)]) }

        let (config, file) = try reader([
            "tokens.keys": .init(.string("2:\(Self.key2)"), isSecret: true), "tokens.currentKeyID": .init(.int(2), isSecret: false),
            "sdk.serviceID": .init(.string("rain-service"), isSecret: false),
        ])
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(try RewardClientConfiguration(config: config).serviceID == "rain-service")
    }
}
