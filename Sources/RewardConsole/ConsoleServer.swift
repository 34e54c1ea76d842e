import Foundation
import Hummingbird
public import Logging
public import ServiceLifecycle

/// `reward-console`'s web server: the night's page, a dead letter's page, sign-in and sign-out,
/// each behind an operator's session. A `Service`: graceful shutdown stops accepting and finishes
/// the requests in flight.
public struct ConsoleServer: Service {
    private let application: Application<RouterResponder<BasicRequestContext>>

    /// - Parameters:
    ///   - configuration: Address, operators, daemons, knobs.
    ///   - sources: The stores and files the figures come from.
    ///   - logger: Sign-ins and sign-outs at notice level (with the operator's name), failures at error.
    ///   - onListening: Receives the bound port (useful with port 0).
    public init(configuration: ConsoleConfiguration, sources: ConsoleSources, logger: Logger,
                onListening: @escaping @Sendable (Int) -> Void = { _ in }) {
        let routes = ConsoleRoutes(configuration: configuration, sources: sources,
                                   sessions: SessionStore(lifetime: configuration.sessionLifetime), logger: logger)
        let router = Router()
        router.add(middleware: ConsoleMiddleware(logger: logger))
        router.add(middleware: MetricsMiddleware())
        router.get("/signin") { request, _ in routes.signInForm(request) }
        router.post("/signin") { request, _ in try await routes.signIn(request) }
        router.post("/signout") { request, _ in try await routes.signOut(request) }
        router.get("/") { request, _ in try await routes.overview(request) }
        router.post("/controls/preview") { request, _ in try await routes.previewSwitch(request) }
        router.post("/controls/apply") { request, _ in try await routes.applySwitch(request) }
        router.get("/dead-letters/:id") { request, context in try await routes.deadLetter(request, id: context.parameters.get("id")) }
        application = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "reward-console"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }

    public func run() async throws {
        try await application.run()
    }
}
