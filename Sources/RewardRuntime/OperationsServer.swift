import Foundation
import Hummingbird
public import Logging
import NIOCore
public import Prometheus
public import ServiceLifecycle

/// `/metrics` (Prometheus text) and `/healthz` for a service, on its own port.
public struct OperationsServer: Service {
    /// What `/healthz` reports: healthy, and a few numbers worth seeing at a glance.
    public typealias HealthCheck = @Sendable () async -> (healthy: Bool, details: [String: String])

    private let application: Application<RouterResponder<BasicRequestContext>>

    /// - Parameters:
    ///   - port: 0 picks a free port; `onListening` receives the one bound.
    public init(host: String = "127.0.0.1", port: Int, registry: PrometheusCollectorRegistry, logger: Logger,
                health: @escaping HealthCheck, onListening: @escaping @Sendable (Int) -> Void = { _ in }) {
        let router = Router()
        router.get("/metrics") { _, _ -> Response in
            var buffer = [UInt8]()
            registry.emit(into: &buffer)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
        router.get("/healthz") { _, _ -> Response in
            let (healthy, details) = await health()
            let body = (try? JSONSerialization.data(
                withJSONObject: details.merging(["status": healthy ? "ok" : "unhealthy"]) { a, _ in a },
                options: [.sortedKeys])) ?? Data()
            return Response(status: healthy ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        self.application = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "reward-ops"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    public func run() async throws {
        try await application.run()
    }
}
