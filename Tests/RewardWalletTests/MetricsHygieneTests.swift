import AsyncHTTPClient
import Foundation
import NIOCore
import RewardAPI
import RewardCore
import RewardTestKit
import Testing

/// What the daemons export on `/metrics`, scraped from real processes: Prometheus names (counters
/// end in `_total`, base units) and histogram buckets fine enough to read (issue 14, item 6).
@Suite("Metric names and buckets on /metrics")
struct MetricsHygieneTests {
    /// Suffixes of names in a unit other than the base unit (seconds, bytes, ratios).
    static let nonBaseUnits = ["_ms", "_milliseconds", "_microseconds", "_nanoseconds", "_percent", "_minutes", "_kb", "_mb"]

    static func checkNames(_ metrics: PrometheusText, _ daemon: String) {
        #expect(metrics.types.count > 5, "\(daemon) exports its metrics: \(metrics.types.keys.sorted())")
        for (name, type) in metrics.types {
            if type == "counter" { #expect(name.hasSuffix("_total"), "\(daemon): counter \(name) ends in _total") }
            #expect(!Self.nonBaseUnits.contains { name.hasSuffix($0) }, "\(daemon): \(name) is in base units")
        }
    }

    @Test("reward-consumer: every counter ends in _total; both rate-limit wait histograms have buckets below 1 s, where the waits land")
    func consumer() async throws {
        let harness = try LaneHarness()
        let directory = try ConsumerProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await SettlementFixture.with("hygiene_consumer") { fixture in
            // 20/s: two permits per 100 ms slice, so nearly every wait is a fraction of a second.
            let environment = try ConsumerProcess.environment(fixture: fixture, harness: harness, directory: directory,
                                                              rates: #"{ "rates": { "cash_red_envelope": 20 } }"#)
            let grants = (0..<30).map { LaneHarness.grant(order: "hy-\($0)", user: "u\($0 % 5)", amount: 1) }
            try await harness.produce(grants, to: .a, topic: "reward-cash")
            let (consumer, port) = try await ConsumerProcess.startServing("A", "reward-cash", environment: environment)
            try await eventually(.seconds(120), "30 grants credited") {
                try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE state = 'credited'") == grants.count
            }
            let metrics = PrometheusText(try await LoopbackHTTP.get(port: port, path: "/metrics"))
            consumer.send(signal: SIGTERM)
            #expect(await consumer.waitForExit().status == 0)

            Self.checkNames(metrics, "reward-consumer")
            #expect(metrics.types["reward_consumer_settled_total"] == "counter")
            for histogram in ["reward_rate_limit_wait_seconds", "reward_consumer_rate_limit_wait_seconds"] {
                let bounds = metrics.bucketBounds(histogram)
                #expect(bounds.filter { $0 < 1 }.count >= 5, "\(histogram) resolves sub-second waits: \(bounds)")
                #expect(metrics.observations(histogram, atMost: .infinity) > 0, "\(histogram): waits recorded")
            }
            // One permit at 20/s waits about 50 ms: below 0.1 s, where the old buckets had nothing under 5.
            #expect(metrics.observations("reward_rate_limit_wait_seconds", atMost: 0.1) > 0)
        }
    }

    @Test("reward-api: every counter ends in _total (Hummingbird's too); SDK grant latency buckets resolve 1–50 ms")
    func api() async throws {
        let harness = try LaneHarness()
        let directory = try ConsumerProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await SettlementFixture.with("hygiene_api") { fixture in
            let (api, port) = try await Self.startAPI(fixture: fixture, harness: harness, directory: directory)
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            var statuses: [Int] = []
            for index in 0..<20 {
                let grant = APIHarness.grant(order: "hy-api-\(index)", user: "u\(index)", amount: 100)
                statuses.append(try await Self.post(http, port: port, path: "/v1/bonus", json: grant))
            }
            let text = try await LoopbackHTTP.get(port: port, path: "/metrics")
            try? await http.shutdown()
            api.send(signal: SIGTERM)
            #expect(await api.waitForExit().status == 0)
            #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")

            let metrics = PrometheusText(text)
            Self.checkNames(metrics, "reward-api")
            #expect(metrics.types["hb_requests_total"] == "counter", "Hummingbird's request counter, renamed")
            let bounds = metrics.bucketBounds("reward_sdk_grant_duration_seconds")
            #expect(bounds.filter { $0 >= 0.001 && $0 <= 0.05 }.count >= 10, "1–50 ms resolved: \(bounds)")
            #expect(bounds.contains { $0 > 0.001 && $0 < 0.005 }, "a bucket between 1 and 5 ms: \(bounds)")
            #expect(metrics.observations("reward_sdk_grant_duration_seconds", atMost: 1) == Double(statuses.count),
                    "every grant timed")
        }
    }

    static let secret = [UInt8](repeating: 0x5a, count: 32)

    /// Starts `reward-api` on a free port with a signing service `games` and waits until it is ready.
    static func startAPI(fixture: SettlementFixture, harness: LaneHarness, directory: URL) async throws -> (ChildProcess, Int) {
        var environment = try ConsumerProcess.environment(fixture: fixture, harness: harness, directory: directory,
                                                          rates: #"{ "rates": {} }"#)
        let scopes = directory.appendingPathComponent("scopes.json").path
        try #"{ "services": { "games": { "activities": ["fest"], "rewardTypes": { "cash_red_envelope": 100000 } } } }"#
            .write(toFile: scopes, atomically: true, encoding: .utf8)
        environment["REWARD_API_SERVICES"] = "games:" + Data(secret).base64EncodedString()
        environment["REWARD_API_SCOPES_FILE"] = scopes
        environment["REWARD_SDK_CATALOG"] = environment["REWARD_CATALOG_PATH"]
        environment["REWARD_SDK_SPOOL_DIRECTORY"] = directory.appendingPathComponent("spool").path
        environment["REWARD_MODE"] = "development"
        let port = try freeLoopbackPort()
        let api = try ChildProcess("\(try TestEnvironment.binPath())/reward-api", ["--port", "\(port)"], environment: environment)
        try await eventually(.seconds(60), "reward-api ready") {
            (try? await LoopbackHTTP.exchange(port: port, Array("GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8)))?
                .status == 200
        }
        return (api, port)
    }

    /// POSTs `json` signed as the service `games`; returns the status.
    static func post(_ http: HTTPClient, port: Int, path: String, json: Any) async throws -> Int {
        try await signedPost(http, port: port, path: path, json: json).status
    }

    /// POSTs `json` signed as the service `games`; returns the status and the body.
    static func signedPost(_ http: HTTPClient, port: Int, path: String, json: Any) async throws -> (status: Int, body: String) {
        let body = [UInt8](try JSONSerialization.data(withJSONObject: json))
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .POST
        request.body = .bytes(ByteBuffer(bytes: body))
        request.headers.add(name: "Content-Type", value: "application/json")
        let time = Int64(Date().timeIntervalSince1970)
        request.headers.add(name: RequestSignature.serviceHeader, value: "games")
        request.headers.add(name: RequestSignature.timestampHeader, value: "\(time)")
        request.headers.add(name: RequestSignature.signatureHeader,
                            value: RequestSignature.sign(method: "POST", path: path, service: "games", timestamp: time, body: body,
                                                         secret: secret))
        let response = try await http.execute(request, timeout: .seconds(30))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }
}
