import Configuration
import Foundation
import Kafka
import MariaDB
import RewardCore
import RewardOps
import RewardTestKit
import Testing

/// ops/deploy is what an operator copies to a host: it must keep matching the executables' flags,
/// the settings they read and the files systemd hands them.
@Suite struct DeployKitTests {
    static let kit = "\(TestEnvironment.repositoryRoot)/ops/deploy"
    /// Settings whose values are secrets: only ever from the units' credentials.
    static let secretSettings = ["db.password", "tokens.keys", "api.services", "api.gatewayKey"]

    @Test("The example settings are production settings: TLS to the database, nothing secret inline")
    func settings() async throws {
        let reader = ConfigReader(provider: try await FileProvider<JSONSnapshot>(filePath: .init("\(Self.kit)/config/production.json")))
        let database = MariaDBConfiguration(config: reader.scoped(to: "db"))
        #expect(database.tls?.certificateAuthorityFile == "/etc/reward/tls/db-ca.pem")
        #expect(database.tls?.verifyServerCertificate == true)
        #expect(database.transactionIsolation == .readCommitted)
        for key in Self.secretSettings {
            #expect(reader.string(forKey: ConfigKey(key)) == nil, "\(key) must come from a credential, not the file")
        }
        #expect(reader.string(forKey: "mode") == nil, "production is the default; the example must not name a mode")
    }

    @Test("The example clusters use SASL_SSL, with passwords read from the unit's credentials folder")
    func clusters() throws {
        let directory = try ClusterDirectory.load(from: "\(Self.kit)/config/kafka-clusters.json")
        let secrets = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueTestName("credentials")).path
        try FileManager.default.createDirectory(atPath: secrets, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: secrets) }

        for name in [ClusterName.a, .b] {
            let missing = #expect(throws: ConfigurationError.self) { try directory.connection(name, secretsDirectory: secrets) }
            #expect(missing?.code == "clusters.connection_invalid" && missing?.message.contains(secrets) == true, "\(String(describing: missing))")
        }
        for file in Self.kafkaSecretFiles(directory) {
            try Data("password-of-\(file)\n".utf8).write(to: URL(fileURLWithPath: "\(secrets)/\(file)"))
        }
        for name in [ClusterName.a, .b] {
            let connection = try directory.connection(name, secretsDirectory: secrets)
            #expect(connection.description.contains("security.protocol=sasl_ssl"))
            #expect(connection.description.contains("sasl.password=<redacted>"))
            #expect(connection.bootstrapServers.count == 3)
        }
    }

    @Test("Every unit passes systemd-analyze, uses only flags its executable has, and loads every secret it reads")
    func units() async throws {
        let directory = try ClusterDirectory.load(from: "\(Self.kit)/config/kafka-clusters.json")
        let kafkaSecrets = Set(Self.kafkaSecretFiles(directory))
        let known = kafkaSecrets.union(Self.secretSettings.map { $0.replacingOccurrences(of: ".", with: "-") })
        let bin = try TestEnvironment.binPath()
        let checkFolder = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueTestName("units")).path
        try FileManager.default.createDirectory(atPath: checkFolder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: checkFolder) }

        let names = try FileManager.default.contentsOfDirectory(atPath: "\(Self.kit)/systemd").filter { $0.hasSuffix(".service") }.sorted()
        #expect(names == ["reward-api.service", "reward-consumer@.service", "reward-reconcile.service"])
        var checked: [String] = []
        for name in names {
            let text = try String(contentsOfFile: "\(Self.kit)/systemd/\(name)", encoding: .utf8)
            let lines = text.split(separator: "\n").map(String.init)
            let credentials = Set(lines.filter { $0.hasPrefix("LoadCredential=") }.map { String($0.dropFirst(15).prefix { $0 != ":" }) })
            #expect(credentials.isSubset(of: known), "\(name) loads credentials nothing reads: \(credentials.subtracting(known))")
            #expect(credentials.isSuperset(of: kafkaSecrets.union(["db-password", "tokens-keys"])), "\(name) misses credentials it needs")

            let exec = try #require(lines.first { $0.hasPrefix("ExecStart=") }).dropFirst(10).split(separator: " ").map(String.init)
            let executable = try #require(exec.first?.split(separator: "/").last.map(String.init))
            let subcommand = exec.dropFirst().first.flatMap { $0.hasPrefix("-") ? nil : $0 }
            let help = try await runExecutable("\(bin)/\(executable)", (subcommand.map { [$0] } ?? []) + ["--help"])
            for flag in exec where flag.hasPrefix("--") {
                #expect(help.output.contains("  \(flag) ") || help.output.contains("  \(flag)\n"), "\(name): \(executable) has no \(flag)")
            }
            // systemd's own check, with ExecStart pointing at the built executables.
            let instance = name.replacingOccurrences(of: "@.service", with: "@A-reward-cash.service")
            try text.replacingOccurrences(of: "/usr/local/bin/", with: "\(bin)/").write(toFile: "\(checkFolder)/\(instance)", atomically: true, encoding: .utf8)
            checked.append("\(checkFolder)/\(instance)")
        }
        let verify = try await runExecutable(try Self.systemdAnalyze(), ["verify", "--man=no"] + checked)
        #expect(verify.status == 0 && verify.errorOutput.isEmpty && verify.output.isEmpty, "\(verify.output)\(verify.errorOutput)")
    }

    @Test("Each consumer instance file names a cluster of the directory, a main lane topic declared for it, and its own port")
    func consumerInstances() throws {
        let directory = try ClusterDirectory.load(from: "\(Self.kit)/config/kafka-clusters.json")
        let folder = "\(Self.kit)/config/consumers"
        var ports: Set<String> = []
        var lanes: Set<String> = []
        for file in try FileManager.default.contentsOfDirectory(atPath: folder).filter({ $0.hasSuffix(".env") }) {
            let values = Dictionary(try String(contentsOfFile: "\(folder)/\(file)", encoding: .utf8).split(separator: "\n")
                .filter { !$0.hasPrefix("#") }.compactMap { line -> (String, String)? in
                    let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                    return parts.count == 2 ? (parts[0], parts[1]) : nil
                }, uniquingKeysWith: { $1 })
            let cluster = try #require(values["CLUSTER"], "\(file) has no CLUSTER")
            let topic = try #require(values["TOPIC"], "\(file) has no TOPIC")
            #expect(directory.clusters[cluster] != nil, "\(file): no cluster \(cluster)")
            let mains = try TopicDefinition.load(directory: "\(TestEnvironment.repositoryRoot)/topics", cluster: ClusterName(rawValue: cluster))
                .filter { $0.role == .main }.map(\.name)
            #expect(mains.contains(topic), "\(file): \(topic) is not a main lane topic of \(cluster) (\(mains))")
            #expect(file == "\(cluster)-\(topic).env")
            #expect(ports.insert(try #require(values["METRICS_PORT"])).inserted, "\(file) reuses a metrics port")
            lanes.insert("\(cluster)-\(topic)")
        }
        #expect(lanes == ["A-reward-cash", "A-reward-goods", "B-reward-cash", "B-reward-goods"])
    }

    static func kafkaSecretFiles(_ directory: ClusterDirectory) -> [String] {
        directory.clusters.values.flatMap { ($0.secretFiles ?? [:]).values }.sorted()
    }

    static func systemdAnalyze() throws -> String {
        let path = "/usr/bin/systemd-analyze"
        try #require(FileManager.default.isExecutableFile(atPath: path), "systemd-analyze not found: install systemd (ops/bootstrap does)")
        return path
    }
}
