import AsyncHTTPClient
import Foundation
import NIOCore
import RewardCore
import RewardStores
import RewardTestKit
import Testing

/// Issue 14 item 1 with real processes: `reward-admin control set` changes a switch or a rate, and a
/// running reward-api (its SDK client: grants; itself: withdrawals, the wallet) and a running
/// reward-consumer (its limiter) apply it within 2 s of the change's commit, without a restart.
@Suite("Live controls applied by running processes")
struct LiveControlProcessTests {
    @Test("type, activity, withdrawals, wallet-reduced and a fleet rate: each applied by the running processes within 2 s")
    func appliedWithinTwoSeconds() async throws {
        let harness = try LaneHarness()
        let directory = try ConsumerProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await SettlementFixture.with("live_controls") { fixture in
            var environment = try ConsumerProcess.environment(fixture: fixture, harness: harness, directory: directory,
                                                              rates: #"{ "rates": { "cash_red_envelope": 3000 } }"#)
            environment["REWARD_LOG_LEVEL"] = "notice"
            let (consumer, metricsPort) = try await ConsumerProcess.startServing("A", "reward-cash", environment: environment)
            let (api, port) = try await MetricsHygieneTests.startAPI(fixture: fixture, harness: harness, directory: directory)
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            let store = ControlStore(pool: fixture.pool)
            let serial = TestBox(0)
            @Sendable func grant() async throws -> (Int, String) {
                let order = serial.withLock { $0 += 1; return $0 }
                return try await MetricsHygieneTests.signedPost(http, port: port, path: "/v1/bonus",
                                                                json: APIHarness.grant(order: "lc-\(order)", user: "jo", amount: 100))
            }
            @Sendable func withdraw() async throws -> (Int, String) {
                let request = serial.withLock { $0 += 1; return $0 }
                return try await Self.send(http, "POST", port: port, path: "/v1/users/jo/withdrawals", user: "jo",
                                           body: ["requestID": "lc-wd-\(request)", "amount": 10_000_000, "currency": "CNY"])
            }
            @Sendable func wallet() async throws -> (Int, String) {
                try await Self.send(http, "GET", port: port, path: "/v1/users/jo/wallet", user: "jo")
            }
            /// Runs `reward-admin control set` and waits until `applied` holds; the time from the
            /// change's commit (its recorded time) to the first answer that shows it.
            func change(_ arguments: [String], until applied: @escaping @Sendable () async throws -> Bool) async throws -> Double {
                let result = try await runExecutable("\(try TestEnvironment.binPath())/reward-admin",
                                                     ["control", "set"] + arguments + ["--by", "alice", "--reason", "festival test", "--execute"],
                                                     environment: environment)
                #expect(result.status == 0, "\(result.output)\(result.errorOutput)")
                let committed = try #require(try await store.history(limit: 1).first?.changedAt, "the change is recorded")
                try await eventually(.seconds(10), interval: .milliseconds(20), "\(arguments) applied", applied)
                return Date().timeIntervalSince(committed)
            }

            #expect(try await grant().0 == 200)
            // More than the grants here could ever credit: refused for funds, whatever the consumer credited meanwhile.
            #expect(try await withdraw().1.contains("insufficient_funds"))
            #expect(try await wallet().1.contains(#""degraded":[]"#))

            var seconds: [String: Double] = [:]
            seconds["type off"] = try await change(["type:cash_red_envelope", "off"]) {
                try await grant().1.contains("reward_type_disabled")
            }
            seconds["type on"] = try await change(["type:cash_red_envelope", "default"]) { try await grant().0 == 200 }
            seconds["activity off"] = try await change(["activity:fest", "off"]) { try await grant().1.contains("activity_disabled") }
            seconds["withdrawals off"] = try await change(["withdrawals", "off"]) { try await withdraw().1.contains("withdrawals_paused") }
            seconds["wallet reduced"] = try await change(["wallet-reduced", "on"]) {
                let (status, body) = try await wallet()
                return status == 200 && body.contains(#""degraded":["claims","tokens"]"#)
            }
            let version = try await store.version()
            seconds["consumer rate"] = try await change(["rate:cash_red_envelope", "1234"]) {
                let text = try await LoopbackHTTP.get(port: metricsPort, path: "/metrics")
                return ConsumerProcess.metric(text, "reward_control_version") > Double(version)
            }
            #expect(try await withdraw().0 == 503, "still paused: nothing resets a control but an operator")

            try? await http.shutdown()
            api.send(signal: SIGTERM)
            consumer.send(signal: SIGTERM)
            #expect(await api.waitForExit().status == 0)
            let consumerExit = await consumer.waitForExit()
            #expect(consumerExit.status == 0)
            #expect(consumerExit.errorOutput.contains("controls applied"), "the consumer logs what it applied")
            #expect(consumerExit.errorOutput.contains("bucket=cash_red_envelope rate=1234.0"), "\(consumerExit.errorOutput.suffix(2000))")

            let history = try await store.history()
            #expect(history.count == 6 && history.allSatisfy { $0.changedBy == "alice" && $0.reason == "festival test" })
            for (what, elapsed) in seconds.sorted(by: { $0.key < $1.key }) {
                print("live control \(what): applied \(String(format: "%.2f", elapsed)) s after its commit")
                #expect(elapsed < 2.0, "\(what) applied within 2 s of the change: \(elapsed) s")
            }
        }
    }

    static func send(_ http: HTTPClient, _ method: String, port: Int, path: String, user: String, body: [String: Any]? = nil)
        async throws -> (Int, String)
    {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .RAW(value: method)
        request.headers.add(name: "X-Reward-User", value: user)
        if let body {
            request.body = .bytes(ByteBuffer(bytes: [UInt8](try JSONSerialization.data(withJSONObject: body))))
            request.headers.add(name: "Content-Type", value: "application/json")
        }
        let response = try await http.execute(request, timeout: .seconds(30))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }
}
