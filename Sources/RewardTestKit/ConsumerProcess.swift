public import Foundation

/// Runs `reward-consumer` as a real process against a test database and the harness's clusters.
public enum ConsumerProcess {
    /// Settings for a child consumer: the test's database, clusters, rates and downstream.
    public static func environment(fixture: SettlementFixture, harness: LaneHarness, directory: URL, rates: String,
                                   simulatorPort: Int? = nil) throws -> [String: String] {
        let clusters = directory.appendingPathComponent("clusters.json").path
        try harness.writeDirectory(to: clusters)
        let ratesPath = directory.appendingPathComponent("rates.json").path
        try rates.write(toFile: ratesPath, atomically: true, encoding: .utf8)
        let database = fixture.database.configuration
        var environment = [
            "REWARD_CONFIG": "",
            "REWARD_KAFKA_CLUSTERS": clusters,
            "REWARD_DB_HOST": database.host, "REWARD_DB_PORT": String(database.port),
            "REWARD_DB_USER": database.user, "REWARD_DB_PASSWORD": database.password,
            "REWARD_DB_NAME": database.database ?? "",
            "REWARD_CATALOG_PATH": "\(TestEnvironment.repositoryRoot)/ops/config/reward-types.json",
            "REWARD_RATES_PATH": ratesPath,
            "REWARD_TOKENS_KEYS": "1:" + Data([UInt8](repeating: 42, count: 32)).base64EncodedString(),  // LaneHarness.keyRing
            "REWARD_TOKENS_CURRENT_KEY_ID": "1",
            // REWARD_TEST_CHILD_LOG_LEVEL=info shows a child's share changes, batches and the like.
            "REWARD_LOG_LEVEL": ProcessInfo.processInfo.environment["REWARD_TEST_CHILD_LOG_LEVEL"] ?? "warning",
        ]
        if let simulatorPort { environment["REWARD_LEDGERS_PARTNER_PRIZES_URL"] = "http://127.0.0.1:\(simulatorPort)" }
        return environment
    }

    /// A fresh folder for a test's files.
    public static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueTestName("consumer"))
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Starts one consumer of `topic` on `cluster`.
    public static func start(_ cluster: String, _ topic: String, environment: [String: String], arguments: [String] = [])
        throws -> ChildProcess
    {
        try ChildProcess("\(try TestEnvironment.binPath())/reward-consumer",
                         ["--cluster", cluster, "--topic", topic, "--topics-directory", "\(TestEnvironment.repositoryRoot)/topics"]
                            + arguments,
                         environment: environment)
    }

    /// Starts one consumer and waits until it serves `/metrics`; returns it with that port.
    public static func startServing(_ cluster: String, _ topic: String, environment: [String: String]) async throws
        -> (process: ChildProcess, metricsPort: Int)
    {
        let child = try start(cluster, topic, environment: environment, arguments: ["--metrics-port", "0"])
        let port = try await withDeadline(.seconds(60), "the consumer's metrics line") { () -> Int? in
            for await line in child.lines {
                if let range = line.range(of: "metrics on 127.0.0.1:") { return Int(line[range.upperBound...]) }
            }
            return nil
        }
        guard let port else { throw MissingTestEnvironment(description: "reward-consumer exited before serving metrics") }
        return (child, port)
    }

    /// The sum of a metric's series whose labels contain `label` (Prometheus text format).
    public static func metric(_ text: String, _ name: String, label: String = "") -> Double {
        text.split(separator: "\n").filter { ($0.hasPrefix(name + "{") || $0.hasPrefix(name + " ")) && (label.isEmpty || $0.contains(label)) }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
    }
}
