import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Prometheus
import RewardAPI
import RewardCore
import RewardSDK
import RewardTestKit
import RewardWallet
import ServiceLifecycle

/// A `reward-api` server on loopback over a test database, with a real SDK client on two
/// in-process clusters, and a small HTTP client that signs like an activity service.
struct APIHarness {
    static let service = "games"
    static let secret = [UInt8](repeating: 0x5a, count: 32)
    /// What the test service may grant: the `fest` activities; cash up to 10,000.00 (above the
    /// catalog's own limit, so the catalog's refusal shows), coupons, and a type the catalog lacks.
    static let scope = ServiceScope(activities: ["fest", "fest-*"],
                                    rewardTypes: ["cash_red_envelope": 1_000_000, "coupon_10off": 1, "no_such_type": 10])

    let wallet: WalletHarness
    /// The SDK client behind `POST /v1/bonus`; not started (tests of `/readyz` start it).
    let client: RewardClient
    /// Clusters A and B behind the client, for injecting broker errors.
    let clusters: [TestKafkaCluster]
    let port: Int
    let http: HTTPClient

    struct Answer {
        var status: Int
        var json: [String: Any]
        var text: String
        var code: String? { json["code"] as? String }
    }

    static func with(_ prefix: String, configure: (inout RewardAPIConfiguration) -> Void = { _ in },
                     _ body: (APIHarness) async throws -> Void) async throws {
        try await SettlementFixture.with(prefix) { fixture in
            let wallet = WalletHarness(fixture)
            let spool = NSTemporaryDirectory() + uniqueTestName("api-spool")
            defer { try? FileManager.default.removeItem(atPath: spool) }
            let hosts = try [ClusterName.a, .b].map { name in
                let cluster = try TestKafkaCluster(name: "api-\(name.rawValue)")
                for topic in ["reward-cash", "reward-goods"] { try cluster.cluster.createTopic(topic, partitions: 4, replicationFactor: 3) }
                return (name, cluster)
            }
            let clusters = hosts.map { RewardClientConfiguration.Cluster(name: $0.0, bootstrapServers: $0.1.bootstrapServers) }
            var sdk = RewardClientConfiguration(clusters: clusters, catalog: fixture.catalog, keyRing: LaneHarness.keyRing,
                                                spoolDirectory: spool)
            sdk.delivery.hedgeFloor = .milliseconds(500)
            sdk.delivery.promise = .milliseconds(2000)
            sdk.delivery.budget = .milliseconds(1200)
            // Tokens are recorded as in production, with the granting service.
            sdk.tokenRecording = .init(database: fixture.database.configuration)
            let quiet = Logger(label: "api-test") { _ in SwiftLogNoOpLogHandler() }
            let client = try await RewardClient(configuration: sdk, logger: quiet, metrics: wallet.metrics)

            var configuration = RewardAPIConfiguration()
            configuration.port = 0
            configuration.maximumBodyBytes = 16 * 1024
            configuration.services = [service: CallingService(secret: secret, scope: scope)]
            configure(&configuration)
            let bound = TestBox<Int?>(nil)
            let server = RewardAPI(
                configuration: configuration,
                dependencies: .init(granter: client, wallet: wallet.reader, withdrawals: wallet.service,
                                    registry: PrometheusCollectorRegistry(), health: { (true, ["database": "ok"]) },
                                    readiness: client.readiness { (true, ["database": "ok"]) }),
                logger: quiet, onListening: { port in bound.withLock { $0 = port } })
            let group = ServiceGroup(services: [server], logger: quiet)
            let running = Task { try await group.run() }
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            let outcome: Result<Void, any Error>
            do {
                try await eventually(.seconds(10), "server listening") { bound.value != nil }
                try await body(APIHarness(wallet: wallet, client: client, clusters: hosts.map(\.1), port: bound.value ?? 0, http: http))
                outcome = .success(())
            } catch {
                outcome = .failure(error)
            }
            try? await http.shutdown()
            await group.triggerGracefulShutdown()
            _ = await running.result
            await client.shutdown()
            withExtendedLifetime(hosts) {}
            try outcome.get()
        }
    }

    /// Sends a request; `sign` signs it as ``service`` (with `timestamp`, default now).
    func send(_ method: String, _ path: String, json: Any? = nil, raw: [UInt8]? = nil, user: String? = nil, sign: Bool = false,
              timestamp: Int64? = nil, secret: [UInt8] = APIHarness.secret, service: String = APIHarness.service,
              headers extra: [(String, String)] = []) async throws -> Answer {
        let body: [UInt8] = try raw ?? json.map { [UInt8](try JSONSerialization.data(withJSONObject: $0)) } ?? []
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .init(rawValue: method)
        if !body.isEmpty {
            request.body = .bytes(ByteBuffer(bytes: body))
            request.headers.add(name: "Content-Type", value: "application/json")
        }
        if let user { request.headers.add(name: "X-Reward-User", value: user) }
        if sign {
            let time = timestamp ?? Int64(Date().timeIntervalSince1970)
            request.headers.add(name: RequestSignature.serviceHeader, value: service)
            request.headers.add(name: RequestSignature.timestampHeader, value: "\(time)")
            request.headers.add(name: RequestSignature.signatureHeader,
                                value: RequestSignature.sign(method: method, path: path, service: service, timestamp: time, body: body,
                                                           secret: secret))
        }
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        return try await send(request)
    }

    func send(_ request: HTTPClientRequest) async throws -> Answer {
        let response = try await http.execute(request, timeout: .seconds(30))
        let buffer = try await response.body.collect(upTo: 4 << 20)
        let data = Data(buffer.readableBytesView)
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return Answer(status: Int(response.status.code), json: json, text: String(decoding: data, as: UTF8.self))
    }

    static func grant(order: String, user: String, amount: Int64, type: String = "cash_red_envelope",
                      activity: String = "fest") -> [String: Any] {
        [
            "activity": ["id": activity, "sceneID": "rain"],
            "user": ["id": user, "deviceID": "device-1", "appID": "app"],
            "bonus": ["rewardType": type, "amount": amount, "extensions": [String: String]()],
            "orderID": order,
        ]
    }
}
