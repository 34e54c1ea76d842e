import ArgumentParser
import Configuration
import Foundation
import Logging
import MariaDB
import Metrics
import Prometheus
import RewardCore
import RewardSDK
import RewardSettlement

/// `reward-bench rain`: the main job's load. Grants a red envelope rain through the SDK against the
/// running stack (the clusters, consumers and ledgers `ops/demo` started), waits until every
/// accepted grant is credited, and prints what each ledger holds against what was granted.
struct RainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rain",
        abstract: "Grant a red envelope rain through the SDK, wait until it is credited, and check it to the cent.",
        discussion: """
            Needs the stack running (ops/demo starts it): kafka.clusters, db.*, tokens.*, sdk.* from
            REWARD_* variables and REWARD_CONFIG. The last line is `granted == credited: yes`, or `no`
            with the difference; the exit status is non-zero when they differ.
            """)

    @Option(help: "Drops to grant (distinct order ids).")
    var grants = 200_000

    @Option(help: "Distinct users catching envelopes.")
    var users = 20_000

    @Option(help: "Rain rounds the drops are spread over.")
    var rounds = 10

    @Option(help: "Concurrent callers of the SDK (the activity service's request handlers).")
    var callers = 200

    @Option(help: "Every Nth drop is granted twice, as a client retry would (0: never).")
    var retryEvery = 20

    @Option(help: "Activity id (default: festival-<time>, so runs never mix).")
    var activity: String?

    @Option(help: "Seconds to wait for everything granted to be credited.")
    var settleTimeout = 900

    @Option(help: "The configured rates, to compare with what was achieved.")
    var rates = "ops/config/rate-limits.json"

    func validate() throws {
        guard grants > 0, users > 0, rounds > 0, callers > 0, retryEvery >= 0, settleTimeout > 0 else {
            throw ValidationError("--grants, --users, --rounds, --callers and --settle-timeout must be > 0, --retry-every >= 0")
        }
    }

    func run() async throws {
        let logger = BenchLogging.logger("reward-bench.rain")
        let config = try await RewardConfiguration.reader()
        let activityID = activity ?? "festival-\(Int(Date().timeIntervalSince1970))"
        let plan = RainPlan(activityID: activityID, drops: grants, users: users, rounds: rounds, retryEvery: retryEvery)
        let configured = try RateLimitConfiguration.load(from: rates)
        let directory = try ClusterDirectory.load(from: config.string(forKey: "kafka.clusters", default: ClusterDirectory.defaultPath))
        let pool = MariaDBPool(configuration: MariaDBConfiguration(config: config.scoped(to: "db")), logger: logger)
        defer { Task { await pool.shutdown() } }
        let ledgers = RainLedgers(pool: pool, activityID: activityID,
                                  simulatorURL: config.string(forKey: "ledgers.partner-prizes.url"))
        let topics = RainTopics(directory: directory, logger: logger)
        let recordsBefore = try await topics.recordCount()

        let clientConfiguration = try RewardClientConfiguration(config: config)
        let units = clientConfiguration.catalog.types.mapValues(\.unit)
        let registry = PrometheusCollectorRegistry()
        let client = try await RewardClient(configuration: clientConfiguration, logger: logger,
                                            metrics: PrometheusMetricsFactory(registry: registry))
        print("rain \(activityID): \(grants) drops for \(users) users over \(rounds) rounds, \(callers) callers, "
            + "every \(retryEvery)th drop retried")
        let rain = RainGrants(plan: plan, client: client)
        let progress = RainProgress()
        let granting = Task {
            await progress.every(.seconds(1)) {
                let credited = (try? await ledgers.creditedClaims()) ?? -1
                return "granting: \(rain.granted.load(ordering: .relaxed))/\(grants) accepted, "
                    + "\(rain.failed.load(ordering: .relaxed)) failed | credited \(credited)"
            }
        }
        let result = await rain.run(callers: callers)
        granting.cancel()
        // Grants that missed their delivery deadline sit in the local spool; shutdown() only
        // promises they are durable there. Replay them now, while the clusters are up, rather than
        // leave them for the next process to start.
        let spooled = client.spoolDepth
        let leftInSpool = await client.waitForSpoolReplay(within: .seconds(120), interval: .milliseconds(200)) { left in
            progress.show("replaying the spool: \(left) of \(spooled) left")
        }
        await client.shutdown()
        progress.finish("granted: \(result.accepted.count.values.reduce(0, +)) accepted of \(grants) in "
            + String(format: "%.1f s (%.0f calls/s)", result.seconds, Double(result.calls) / result.seconds)
            + "; outcomes: " + SDKBenchCommand.describe(SDKBenchCommand.outcomes(registry), since: [:])
            + "; spool: \(spooled) waiting at the end, \(leftInSpool) left after replay")

        let expected = result.accepted.count.values.reduce(0, +)
        let settleStart = ContinuousClock.now
        var credited = try await ledgers.creditedClaims()
        while credited < expected, ContinuousClock.now - settleStart < .seconds(settleTimeout) {
            progress.show("settling: credited \(credited)/\(expected)")
            try await Task.sleep(for: .milliseconds(500))
            credited = try await ledgers.creditedClaims()
        }
        progress.finish("settled: \(credited)/\(expected) credited, \(Int((ContinuousClock.now - settleStart).components.seconds)) s after the last grant")

        let summary = RainSummary(
            grants: result, credits: try await ledgers.credits(), achievedRates: try await ledgers.achievedRates(),
            configuredRates: configured, settleDelays: try await ledgers.settleDelays(),
            delivered: try await topics.recordCount() - recordsBefore, creditedClaims: credited,
            deadLetters: try await ledgers.deadLetters(), units: units)
        let balanced = summary.print()
        if !balanced { throw ExitCode(1) }
    }
}
