import Configuration
import Foundation
import Hummingbird
import Logging
import Metrics
import RewardCore
import RewardSDK

// An example activity service on RewardSDK: `POST /rain/{user}` grants a caught red envelope
// through a scenario facade, `POST /grant` shows the generic `sendBonus`, `GET /readyz` says
// whether a cluster was ready. Run it from the repository root with the local stack up:
//
//     source .local/env && Examples/ActivityService/.build/debug/activity-service
//
// Settings are read like every reward service's: `REWARD_*` environment variables over the JSON
// file named by `REWARD_CONFIG` (`kafka.clusters`, `sdk.*`, `tokens.*`, see
// `RewardClientConfiguration(config:)`), plus `example.host` / `example.port` (default
// 127.0.0.1:8080) and `example.activityID`.

LoggingSystem.bootstrap(StreamLogHandler.standardError)
let logger = Logger(label: "activity-service")

let config: ConfigReader
let client: RewardClient
do {
    config = try await RewardConfiguration.reader()
    client = try await RewardClient(configuration: RewardClientConfiguration(config: config), logger: logger,
                                    metrics: MetricsSystem.factory)
} catch {
    logger.critical("cannot start: \(error)")
    exit(1)
}

// Readiness before traffic. Fail fast rather than take grants that could only go to the spool: a
// missing lane topic or no reachable cluster is for the operator to fix, and the orchestrator
// restarts us. (`RewardClient.run()` would only log it.)
do {
    try await client.start()
} catch {
    logger.critical("no cluster ready: \(error)")
    await client.shutdown()
    exit(1)
}

let rain = RedEnvelopeRain(client: client, activityID: config.string(forKey: "example.activityID", default: "spring-festival"))
let routes = Routes(client: client, rain: rain)
let router = Router()
// First: middleware covers the routes added after it, and the framework's own 404.
router.add(middleware: JSONErrorMiddleware(logger: logger))
router.post("/rain/:user") { request, context in try await routes.rain(request, user: context.parameters.require("user")) }
router.post("/grant") { request, _ in try await routes.grant(request) }
router.get("/readyz") { _, _ in routes.readiness() }

// The client is a Service listed before the server, so on SIGTERM/SIGINT the server stops first
// (finishing requests in flight) and then `client.shutdown()` runs: every accepted grant is
// acknowledged or spooled before the producers and the spool close.
let app = Application(
    router: router,
    configuration: ApplicationConfiguration(reader: config.scoped(to: "example")),
    services: [client],
    logger: logger)
do {
    try await app.runService()
} catch {
    logger.critical("stopped: \(error)")
    exit(1)
}
