import Foundation
import HTTPTypes
import Hummingbird
public import Logging
import NIOCore
public import Prometheus
public import RewardStores
public import RewardWallet
public import ServiceLifecycle

/// The reward HTTP service: `POST /v1/bonus` (signed by activity services), `GET
/// /v1/users/{id}/wallet` and `POST /v1/users/{id}/withdrawals` (the user asserted by the
/// gateway), `GET /healthz` (alive), `GET /readyz` (may take traffic), `GET /metrics`. Errors are JSON `{"code", "message"}`; the contract
/// is `openapi/reward-api.yaml`. A `Service`: graceful shutdown stops accepting, finishes the
/// requests in flight, then returns.
public struct RewardAPI: Service {
    /// What the endpoints call.
    public struct Dependencies: Sendable {
        public var granter: any BonusGranting
        public var wallet: WalletReader
        public var withdrawals: WithdrawalService
        public var registry: PrometheusCollectorRegistry
        /// The live controls (`withdrawals`, `wallet-reduced`); `nil`: both stay at their defaults.
        public var controls: ControlWatcher?
        /// Whether the service can do its work (the wallet database answers), with details.
        public var health: @Sendable () async -> (healthy: Bool, details: [String: String])
        /// Whether a load balancer may send traffic: the SDK client has started (connected,
        /// fetched metadata, initialised its producers) and the service is healthy. Until then a
        /// grant would pay for discovering the clusters inside its 50 ms.
        public var readiness: @Sendable () async -> (ready: Bool, details: [String: String])

        public init(granter: any BonusGranting, wallet: WalletReader, withdrawals: WithdrawalService,
                    registry: PrometheusCollectorRegistry, controls: ControlWatcher? = nil,
                    health: @escaping @Sendable () async -> (healthy: Bool, details: [String: String]),
                    readiness: @escaping @Sendable () async -> (ready: Bool, details: [String: String])) {
            self.granter = granter
            self.wallet = wallet
            self.withdrawals = withdrawals
            self.registry = registry
            self.controls = controls
            self.health = health
            self.readiness = readiness
        }
    }

    private let application: Application<RouterResponder<BasicRequestContext>>

    /// - Parameters:
    ///   - configuration: Address, limits, service secrets, the user header.
    ///   - dependencies: The SDK client, wallet reader, withdrawal service, metrics registry, health check.
    ///   - logger: Unexpected errors at error level.
    ///   - onListening: Receives the bound port (useful with port 0).
    public init(configuration: RewardAPIConfiguration, dependencies: Dependencies, logger: Logger,
                onListening: @escaping @Sendable (Int) -> Void = { _ in }) {
        let handlers = APIHandlers(
            configuration: configuration, dependencies: dependencies,
            signatures: SignedRequestVerifier(secrets: configuration.services.mapValues(\.secret), window: configuration.signatureWindow),
            replays: ReplayCache(windowSeconds: configuration.signatureWindow.components.seconds),
            limiter: KeyedRateLimiter(burst: configuration.callerBurst, per: configuration.callerPeriod,
                                      maximumKeys: configuration.maximumTrackedCallers),
            userHeader: HTTPField.Name(configuration.userHeader) ?? HTTPField.Name("X-Reward-User") ?? .authorization)
        let router = Router()
        // Added first: middleware applies to the routes added after it (and to "not found").
        router.add(middleware: JSONErrorMiddleware(logger: logger))
        router.add(middleware: MetricsMiddleware())
        router.post("/v1/bonus") { request, _ in try await handlers.bonus(request) }
        router.get("/v1/users/:id/wallet") { request, context in
            try await handlers.wallet(request, user: context.parameters.get("id"))
        }
        router.post("/v1/users/:id/withdrawals") { request, context in
            try await handlers.withdraw(request, user: context.parameters.get("id"))
        }
        router.get("/healthz") { _, _ -> Response in
            let (healthy, details) = await dependencies.health()
            return JSONResponse.make(healthy ? .ok : .serviceUnavailable,
                                     details.merging(["status": healthy ? "ok" : "unhealthy"]) { a, _ in a })
        }
        router.get("/readyz") { _, _ -> Response in
            let (ready, details) = await dependencies.readiness()
            return JSONResponse.make(ready ? .ok : .serviceUnavailable,
                                     details.merging(["status": ready ? "ready" : "not_ready"]) { a, _ in a })
        }
        router.get("/metrics") { _, _ -> Response in
            var buffer = [UInt8]()
            dependencies.registry.emit(into: &buffer)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
        self.application = Application(
            router: router,
            // Requests that do not parse as HTTP/1.1 get the JSON error body too, not an empty 400.
            server: .http1(configuration: .init(additionalChannelHandlers: [MalformedRequestHandler.Installer()])),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "reward-api"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }

    public func run() async throws {
        try await application.run()
    }
}

/// Turns every error into the JSON error body: ours as they are, the framework's (not found,
/// method not allowed) by status, anything else as `internal` without details.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response
        } catch let error as any HTTPResponseError {
            let code = switch error.status {
            case .notFound: "not_found"
            case .methodNotAllowed: "method_not_allowed"
            case .contentTooLarge: "payload_too_large"
            default: "http_\(error.status.code)"
            }
            return APIError(error.status, code, error.status.reasonPhrase).response
        } catch {
            logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return APIError(.internalServerError, "internal", "the request failed; try again").response
        }
    }
}
