import Foundation
import Kafka
import MariaDB
import RewardCore
import RewardTestKit
import Testing

/// `reward-consumer`'s `/healthz` and `/readyz` as a supervisor reads them, from a real process
/// whose database is a private `mariadbd` the test stops and continues.
@Suite("reward-consumer health")
struct ConsumerHealthTests {
    static func ask(_ port: Int, _ path: String) async throws -> (status: Int, body: [String: String]) {
        let answer = try await LoopbackHTTP.exchange(port: port, Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8))
        let body = (try? JSONSerialization.jsonObject(with: Data(answer.body))) as? [String: String] ?? [:]
        return (answer.status, body)
    }

    @Test("""
        Ready once the group assigned it; a stopped mariadbd makes it not ready at once and unhealthy after the grace, \
        with the partition whose record it holds named; healthy and ready again once the database is back, every grant credited once
        """)
    func healthFollowsRealState() async throws {
        let harness = try LaneHarness()
        let directory = try ConsumerProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try MariaDBServerProcess()
        try await server.start()
        do {
            let database = try await TestMariaDB.makeDatabase(prefix: "health", server: server.configuration)
            let pool = MariaDBPool(configuration: database.configuration, logger: TestMariaDB.quietLogger)
            try await SettlementFixture.migrate(pool)
            try await SettlementFixture.with("health") { fixture in
                var environment = try ConsumerProcess.environment(fixture: fixture, harness: harness, directory: directory,
                                                                  rates: #"{ "rates": {} }"#)
                let target = database.configuration
                environment.merge([
                    "REWARD_DB_HOST": target.host, "REWARD_DB_PORT": String(target.port), "REWARD_DB_USER": target.user,
                    "REWARD_DB_PASSWORD": target.password, "REWARD_DB_NAME": target.database ?? "",
                    "REWARD_DB_READ_TIMEOUT_MS": "2000", "REWARD_DB_WRITE_TIMEOUT_MS": "2000", "REWARD_DB_CONNECT_TIMEOUT_MS": "1000",
                    "REWARD_CONSUMER_STALL_SECONDS": "4", "REWARD_CONSUMER_DATABASE_GRACE_SECONDS": "3",
                ]) { _, new in new }
                let (child, port) = try await ConsumerProcess.startServing("A", "reward-cash", environment: environment)
                try await eventually(.seconds(60), interval: .milliseconds(250), "ready") { try await Self.ask(port, "/readyz").status == 200 }
                let healthy = try await Self.ask(port, "/healthz")
                #expect(healthy.status == 200, "\(healthy.body)")
                #expect(healthy.body["version"] == RewardVersion.current)
                #expect(healthy.body["database"] == "ok")
                #expect(Int(healthy.body["partitions"] ?? "0") ?? 0 > 0, "it owns the lane's partitions: \(healthy.body)")

                // The database stops while grants arrive: they are taken and cannot be claimed.
                await server.signal(SIGSTOP)
                let grants = (0..<40).map { LaneHarness.grant(order: "h\($0)", user: "u\($0 % 7)", amount: Int64($0 + 1)) }
                try await harness.produce(grants, to: .a, topic: "reward-cash")
                try await eventually(.seconds(20), interval: .milliseconds(250), "not ready while the database is silent") {
                    let ready = try await Self.ask(port, "/readyz")
                    return ready.status == 503 && (ready.body["database"] ?? "").contains("not answering")
                }
                let seen = TestBox([String: String]())
                try await eventually(.seconds(40), interval: .milliseconds(250), "unhealthy, naming the held partition") {
                    let health = try await Self.ask(port, "/healthz")
                    seen.withLock { $0 = health.body }
                    return health.status == 503 && (health.body["stalled"] ?? "").contains("reward-cash/")
                }
                let unhealthy = seen.value
                #expect(unhealthy["status"] == "unhealthy")
                #expect((unhealthy["database"] ?? "").contains("not answering for"), "\(unhealthy)")

                await server.signal(SIGCONT)
                try await eventually(.seconds(90), interval: .milliseconds(500), "healthy and ready again") {
                    let credited = try await pool.query("SELECT COUNT(*) AS n FROM order_claims WHERE state = 'credited'")[0].decode("n", as: Int.self)
                    let health = try await Self.ask(port, "/healthz").status
                    let ready = try await Self.ask(port, "/readyz").status
                    return credited == 40 && health == 200 && ready == 200
                }
                child.send(signal: SIGTERM)
                let exit = await child.waitForExit()
                #expect(exit.status == 0, "\(exit.errorOutput.suffix(1_500))")
            }
            await pool.shutdown()
        } catch {
            await server.destroy()
            throw error
        }
        await server.destroy()
    }

    @Test("Every executable says the one release with --version; a metrics host that is not an IP address is refused by name")
    func versionAndBindHost() async throws {
        let bin = try TestEnvironment.binPath()
        for name in ["reward-api", "reward-consumer", "reward-admin", "reward-bench", "reward-console", "reward-sdk-probe", "reward-fuzz",
                     "reward-grant-cost"] {
            let result = try await runExecutable("\(bin)/\(name)", ["--version"])
            #expect(result.status == 0, "\(name): \(result.errorOutput)")
            #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == RewardVersion.current, "\(name): \(result.output)")
        }
        let refused = try await runExecutable("\(bin)/reward-consumer", ["--cluster", "A", "--topic", "reward-cash", "--metrics-host", "metrics.example"],
                                              environment: ["REWARD_CONFIG": ""], directory: TestEnvironment.repositoryRoot)
        #expect(refused.status != 0)
        #expect(refused.errorOutput.contains("--metrics-host / consumer.metricsHost (REWARD_CONSUMER_METRICS_HOST) is 'metrics.example'"),
                "\(refused.errorOutput.suffix(600))")
    }

    @Test("REWARD_LOG_FORMAT=json writes one JSON object per line with time, level, logger and message")
    func jsonLogs() async throws {
        let bin = try TestEnvironment.binPath()
        // A development consumer with a skewed clock logs a warning first; without clusters it then stops.
        let result = try await runExecutable("\(bin)/reward-consumer", ["--cluster", "A", "--topic", "reward-cash"],
                                             environment: ["REWARD_CONFIG": "", "REWARD_LOG_FORMAT": "json", "REWARD_MODE": "development",
                                                           "REWARD_CLOCK_OFFSET_MILLISECONDS": "1000",
                                                           "REWARD_KAFKA_CLUSTERS": "/nonexistent/clusters.json"],
                                             directory: TestEnvironment.repositoryRoot)
        #expect(result.status != 0)
        let lines = result.errorOutput.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(!lines.isEmpty, "no JSON log line: \(result.errorOutput.suffix(600))")
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["level"] is String && object?["message"] is String && object?["logger"] is String, "\(line)")
            #expect((object?["time"] as? String)?.hasSuffix("Z") == true, "\(line)")
        }
        let warning = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .first { ($0["message"] as? String)?.contains("skewed wall clock") == true }
        #expect(warning?["level"] as? String == "warning")
        #expect((warning?["metadata"] as? [String: String])?["offsetMilliseconds"] == "1000", "\(String(describing: warning))")
    }
}
