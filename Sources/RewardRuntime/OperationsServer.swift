import Foundation
import Hummingbird
public import Logging
import NIOCore
public import Prometheus
public import ServiceLifecycle

/// `/metrics` (Prometheus text), `/healthz` and (when given) `/readyz` for a service, on its own port.
public struct OperationsServer: Service {
    /// What `/healthz` or `/readyz` reports: healthy (or ready), and a few facts worth seeing at a
    /// glance; 503 when not.
    public typealias HealthCheck = @Sendable () async -> (healthy: Bool, details: [String: String])

    private let application: Application<RouterResponder<BasicRequestContext>>

    /// - Parameters:
    ///   - port: 0 picks a free port; `onListening` receives the one bound.
    ///   - readiness: Serves `/readyz` when given (`status` is `ready` or `not ready`).
    public init(host: String = "127.0.0.1", port: Int, registry: PrometheusCollectorRegistry, logger: Logger,
                health: @escaping HealthCheck, readiness: HealthCheck? = nil, onListening: @escaping @Sendable (Int) -> Void = { _ in }) {
        let router = Router()
        router.get("/metrics") { _, _ -> Response in
            var buffer = [UInt8]()
            registry.emit(into: &buffer)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
        router.get("/healthz") { _, _ -> Response in
            let (healthy, details) = await health()
            return Self.answer(healthy, details.merging(["status": healthy ? "ok" : "unhealthy"]) { a, _ in a })
        }
        if let readiness {
            router.get("/readyz") { _, _ -> Response in
                let (ready, details) = await readiness()
                return Self.answer(ready, details.merging(["status": ready ? "ready" : "not ready"]) { a, _ in a })
            }
        }
        self.application = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "reward-ops"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    private static func answer(_ good: Bool, _ details: [String: String]) -> Response {
        let body = (try? JSONSerialization.data(withJSONObject: details, options: [.sortedKeys])) ?? Data()
        return Response(status: good ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    public func run() async throws {
        try await application.run()
    }
}
