import Foundation
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
            "\(try TestEnvironment.binPath())/reward-bench", ["pace", "--seconds", "1", "--instances", "1", "--b-only", "--timeout", "120"],
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
    }
}
