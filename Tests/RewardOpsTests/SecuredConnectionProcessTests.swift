import Foundation
import Kafka
import MariaDB
import RewardCore
import RewardOps
import RewardTestKit
import Testing

/// The deploy-time settings of issue 13 item 3, through a real `reward-admin status`: the database
/// password from a secrets directory (systemd's `LoadCredential=` layout), and cluster connection
/// properties from the cluster directory, refused by name when they would change a guarantee.
@Suite(.serialized) struct SecuredConnectionProcessTests {
    @Test("db.password is read from the secrets directory's db-password file; without it the login fails")
    func databasePasswordFromSecretsDirectory() async throws {
        let database = try await TestMariaDB.makeDatabase(prefix: "secrets")
        let user = "sec_\(UInt32.random(in: 0...UInt32.max))"
        let password = "pw-\(UInt64.random(in: 0...UInt64.max))"
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueTestName("secrets")).path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let admin = try await MariaDBConnection.connect(configuration: database.configuration, logger: TestMariaDB.quietLogger)
        do {
            for host in ["localhost", "127.0.0.1", "%"] {
                try await admin.executeScript("""
                    CREATE USER '\(user)'@'\(host)' IDENTIFIED BY '\(password)';
                    GRANT ALL ON `\(database.name)`.* TO '\(user)'@'\(host)';
                    """)
            }
            try Data("\(password)\n".utf8).write(to: URL(fileURLWithPath: "\(folder)/db-password"))

            // No password in the environment at all: an empty REWARD_DB_PASSWORD would win over the file.
            let process = try AdminProcess(database: database, harness: nil).adding(["REWARD_DB_USER": user]).removing("REWARD_DB_PASSWORD")

            let withSecrets = try await process.adding(["REWARD_SECRETS_DIRECTORY": folder]).run(["status", "--clusters-file", "/nonexistent"])
            #expect(withSecrets.output.contains("database: up"), "\(withSecrets.output)\n\(withSecrets.errorOutput)")
            #expect(!withSecrets.output.contains(password) && !withSecrets.errorOutput.contains(password))

            let without = try await process.run(["status", "--clusters-file", "/nonexistent"])
            #expect(without.output.contains("database: DOWN"), "\(without.output)")
            #expect(without.output.contains("accessDenied"), "\(without.output)")

            let missing = try await process.adding(["REWARD_SECRETS_DIRECTORY": "\(folder)/absent"]).run(["status"])
            #expect(missing.status != 0)
            #expect(missing.errorOutput.contains("secrets.directory_missing"), "\(missing.errorOutput)")
        } catch {
            Issue.record(error)
        }
        for host in ["localhost", "127.0.0.1", "%"] { try? await admin.executeScript("DROP USER '\(user)'@'\(host)'") }
        await admin.close()
        try? FileManager.default.removeItem(atPath: folder)
        try await database.drop()
    }

    @Test("A cluster's properties reach the tool's clients; a guarantee-bearing one is refused by name, its secret never printed")
    func clusterPropertiesThroughTheTool() async throws {
        let logger = makeTestLogger("secured-connections")
        let host = try DevKafkaHost(names: [.a, .b], logger: logger)
        defer { host.shutdown() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueTestName("clusters")).path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let secret = "sekret-\(UInt64.random(in: 0...UInt64.max))"
        try Data(secret.utf8).write(to: URL(fileURLWithPath: "\(folder)/b-password"))

        var directory = host.directory
        directory.clusters["A"]?.properties = ["acks": "1"]
        directory.clusters["B"]?.properties = ["client.id": "festival-b", "sasl.username": "festival"]
        directory.clusters["B"]?.secretFiles = ["sasl.password": "\(folder)/b-password"]
        try directory.write(to: "\(folder)/clusters.json")

        let result = try await AdminProcess(database: nil, harness: nil).run(["status", "--clusters-file", "\(folder)/clusters.json"])
        let lines = result.output.split(separator: "\n").map(String.init)
        let a = lines.first { $0.hasPrefix("kafka A:") } ?? ""
        let b = lines.first { $0.hasPrefix("kafka B:") } ?? ""
        #expect(a.contains("DOWN") && a.contains("clusters.connection_invalid") && a.contains("property acks"), "\(result.output)")
        #expect(b.contains("kafka B: up"), "\(result.output)\n\(result.errorOutput)")
        #expect(!result.output.contains(secret) && !result.errorOutput.contains(secret))

        // The same directory, read in-process: B's connection carries the secret, redacted when shown.
        let connection = try ClusterDirectory.load(from: "\(folder)/clusters.json").connection(.b)
        #expect(connection.description.contains("sasl.password=<redacted>") && !connection.description.contains(secret))
    }
}
