import DownstreamSimulator
import Foundation
import MariaDB
import RewardTestKit
import Testing

/// The benchmark is not a test, but it must keep working: a one-second run against the test server.
@Suite("reward-bench smoke run")
struct BenchSmokeTests {
    @Test("reward-bench settle runs both phases, checks its books and prints the ratio last")
    func settleSmoke() async throws {
        let server = try TestMariaDB.serverConfiguration()
        var environment = ["REWARD_DB_USER": server.user, "REWARD_DB_PASSWORD": server.password, "REWARD_DB_HOST": server.host,
                           "REWARD_DB_PORT": "\(server.port)"]
        if let socket = server.unixSocket { environment["REWARD_DB_SOCKET"] = socket }
        let result = try await runExecutable(
            "\(try TestEnvironment.binPath())/reward-bench",
            ["settle", "--duration", "1", "--rounds", "1", "--batch-size", "100", "--concurrency", "2"],
            environment: environment, directory: TestEnvironment.repositoryRoot)
        #expect(result.status == 0, "\(result.errorOutput)")
        let lines = result.output.split(separator: "\n")
        let last = try #require(lines.last.map(String.init))
        #expect(last.hasPrefix("ratio engine/raw: "))
        #expect(Double(last.dropFirst("ratio engine/raw: ".count)).map { $0 > 0 } == true)
        let engineLine = try #require(lines.first { $0.hasPrefix("engine: ") })
        #expect(engineLine.contains("legs summing to 0, 0 failed"))
    }

    @Test("reward-bench pace drains a partner backlog on B with real consumers, within the partner's limit, and reports efficiency")
    func paceSmoke() async throws {
        let server = try TestMariaDB.serverConfiguration()
        var environment = ["REWARD_DB_USER": server.user, "REWARD_DB_PASSWORD": server.password, "REWARD_DB_HOST": server.host,
                           "REWARD_DB_PORT": "\(server.port)", "REWARD_KAFKA_CLUSTERS": try TestEnvironment.sharedClusterDirectory(),
                           "REWARD_CONFIG": ""]
        if let socket = server.unixSocket { environment["REWARD_DB_SOCKET"] = socket }
        let result = try await runExecutable(
            "\(try TestEnvironment.binPath())/reward-bench", ["pace", "--seconds", "1", "--instances", "1", "--b-only", "--timeout", "120",
                                                   "--overhead", "2000"],
            environment: environment, directory: TestEnvironment.repositoryRoot)
        #expect(result.status == 0, "\(result.output)\n\(result.errorOutput)")
        let line = try #require(result.output.split(separator: "\n").first { $0.contains("prize_partner: ") }.map(String.init),
                                "\(result.output)")
        #expect(line.contains("prize_partner: 2000 credited"), "\(line)")
        // The fleet's promise to the partner, by the senders' stamps: at most 200 in any 100 ms slice, no 429.
        let busiest = line.firstMatch(of: /busiest slice (\d+)\/200/).flatMap { Int($0.1) }
        #expect(busiest.map { $0 > 0 && $0 <= 200 } == true, "\(line)")
        #expect(line.hasSuffix(" 0 x 429"), "\(line)")
        let efficiency = line.firstMatch(of: /efficiency (\d+\.\d+)\)/).flatMap { Double($0.1) }
        #expect(efficiency.map { $0 > 0 && $0 <= 1.5 } == true, "\(line)")
        // Consumer overhead: the fleet drained the unbound types, the engine settled as many, and the ratio is last.
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("overhead [A and B, 1 consumers per lane per cluster]: 2000 credited") }, "\(result.output)")
        #expect(lines.contains { $0.hasPrefix("engine alone (this process, batches of 500, 8 at once): 2000 credited") }, "\(result.output)")
        let ratio = lines.last?.firstMatch(of: /^ratio consumers\/engine: (\d+\.\d+)$/).flatMap { Double($0.1) }
        #expect(ratio.map { $0 > 0 } == true, "\(result.output)")
    }

    @Test("reward-bench rain: a small whole-path rain, wallet reads and withdrawals through a real reward-api, balances its books")
    func rainSmoke() async throws {
        let harness = try LaneHarness()
        try await SettlementFixture.with("bench_rain") { fixture in
            let directory = try ConsumerProcess.temporaryDirectory()
            try await withSimulator(knobs: SimulatorKnobs(capacityPerSlice: 1_000)) { _, simulatorPort in
                var environment = try ConsumerProcess.environment(fixture: fixture, harness: harness, directory: directory,
                                                                  rates: #"{ "rates": {} }"#, simulatorPort: simulatorPort)
                environment["REWARD_SDK_CATALOG"] = environment["REWARD_CATALOG_PATH"]
                environment["REWARD_MODE"] = "development"
                environment["REWARD_API_GATEWAY_KEY"] = "rain-smoke-gateway-key"
                var consumers: [RewardTestKit.ChildProcess] = []
                for cluster in ["A", "B"] {
                    for topic in ["reward-cash", "reward-goods"] {
                        consumers.append(try ConsumerProcess.start(cluster, topic, environment: environment))
                    }
                }
                // reward-api and the rain's SDK client each need a spool of their own (each locks its folder).
                var apiEnvironment = environment
                apiEnvironment["REWARD_SDK_SPOOL_DIRECTORY"] = directory.appendingPathComponent("api-spool").path
                let port = try freeLoopbackPort()
                let api = try RewardTestKit.ChildProcess("\(try TestEnvironment.binPath())/reward-api", ["--port", "\(port)"], environment: apiEnvironment)
                try await eventually(.seconds(60), "reward-api ready") {
                    (try? await LoopbackHTTP.exchange(port: port, Array("GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8)))?
                        .status == 200
                }
                environment["REWARD_SDK_SPOOL_DIRECTORY"] = directory.appendingPathComponent("bench-spool").path
                let result = try await runExecutable(
                    "\(try TestEnvironment.binPath())/reward-bench",
                    ["rain", "--grants", "400", "--users", "40", "--rounds", "4", "--callers", "8", "--api-url", "http://127.0.0.1:\(port)",
                     "--wallet-readers", "50", "--withdraw-mid", "40", "--withdraw-after", "40", "--settle-timeout", "120"],
                    environment: environment, directory: TestEnvironment.repositoryRoot)
                api.send(signal: SIGTERM)
                for consumer in consumers { consumer.send(signal: SIGTERM) }
                _ = await api.waitForExit()
                for consumer in consumers { _ = await consumer.waitForExit() }

                #expect(result.status == 0, "\(result.output)\n\(result.errorOutput)")
                let lines = result.output.split(separator: "\n").map(String.init)
                #expect(lines.last?.hasPrefix("granted == credited: yes (400 grants") == true, "\(result.output)")
                for rule in ["per user, credited − withdrawn = balance: yes", "every withdrawal debited and paid out exactly once: yes",
                             "every granted order credited exactly once: yes (400 checked)"] {
                    #expect(lines.contains { $0.contains(rule) }, "\(rule)\n\(result.output)")
                }
                let views = try #require(lines.first { $0.hasPrefix("wallet views during the rain: ") }, "\(result.output)")
                #expect(!views.hasPrefix("wallet views during the rain: 0,"), "\(views)")

                // The books again, here: money went out, and what is left is exactly what came in minus it.
                let books = try await fixture.pool.query("""
                    SELECT (SELECT COUNT(*) FROM payouts) AS payouts, (SELECT COUNT(*) FROM withdrawals WHERE state = 'paid_out') AS paid,
                           (SELECT CAST(COALESCE(SUM(amount), 0) AS SIGNED) FROM payouts) AS paid_out,
                           (SELECT CAST(COALESCE(SUM(amount), 0) AS SIGNED) FROM wallet_entries
                            WHERE account = user_id AND currency = 'CNY' AND transfer_id LIKE 'credit:%') AS credited,
                           (SELECT CAST(COALESCE(SUM(balance), 0) AS SIGNED) FROM wallet_accounts WHERE currency = 'CNY') AS balance
                    """)[0]
                let (payouts, paid) = (try books.decode("payouts", as: Int.self), try books.decode("paid", as: Int.self))
                #expect(payouts > 0 && payouts == paid, "\(payouts) payouts for \(paid) withdrawals paid out")
                let (balance, credited, paidOut) = (try books.decode("balance", as: Int64.self), try books.decode("credited", as: Int64.self),
                                                    try books.decode("paid_out", as: Int64.self))
                #expect(balance == credited - paidOut, "balance \(balance), credited \(credited), paid out \(paidOut)")
            }
        }
    }
}
