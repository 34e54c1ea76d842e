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
}
