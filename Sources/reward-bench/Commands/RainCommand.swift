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

/// `reward-bench rain`: the main job's load, the whole path. Grants a red envelope rain through the
/// SDK against the running stack (the clusters, consumers, ledgers and reward-api `ops/demo`
/// started) while some users open their wallet after each catch and some withdraw, during the
/// rain and after it, over HTTP; waits until every accepted grant is credited, and prints what
/// each ledger holds against what was granted and the books checked with SQL.
struct RainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rain",
        abstract: "Grant a red envelope rain, read wallets and withdraw meanwhile, wait until it is credited, and check the books to the cent.",
        discussion: """
            Needs the stack running (ops/demo starts it): kafka.clusters, db.*, tokens.*, sdk.* from
            REWARD_* variables and REWARD_CONFIG, and reward-api at --api-url (with api.gatewayKey, if it
            has one). A wallet reader opens its wallet after each catch, which must show the grant at once
            (pending or credited); a mid-rain withdrawer withdraws the cash it caught so far at its first
            catch from the middle round on; an after-rain withdrawer withdraws what it holds when the rain
            is over. Withdrawals present the caught tokens (forcing their settlement) and are retried on
            202/503 with the same request id. The books are then read with SQL: per user credited −
            withdrawn = balance, each withdrawal debited and paid out once, each granted order credited
            once. The last line is `granted == credited: yes` when every check holds, else `no` with
            what differs; the exit status is non-zero then.
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

    @Option(help: "reward-api's address, for the wallet reads and withdrawals (ops/demo starts one).")
    var apiURL: String?

    @Option(help: "Percent of users who open their wallet after each catch.")
    var walletReaders = 2

    @Option(help: "Percent of users who withdraw their cash in the middle of the rain.")
    var withdrawMid = 1

    @Option(help: "Percent of users who withdraw their cash after the rain.")
    var withdrawAfter = 1

    func validate() throws {
        guard grants > 0, users > 0, rounds > 0, callers > 0, retryEvery >= 0, settleTimeout > 0 else {
            throw ValidationError("--grants, --users, --rounds, --callers and --settle-timeout must be > 0, --retry-every >= 0")
        }
        guard [walletReaders, withdrawMid, withdrawAfter].allSatisfy((0...100).contains) else {
            throw ValidationError("--wallet-readers, --withdraw-mid and --withdraw-after are percentages (0-100)")
        }
        if mix.usesAPI, apiURL == nil {
            throw ValidationError("wallet readers and withdrawers need reward-api: give --api-url, or set the three shares to 0")
        }
        // Request ids are `wd-<activity>-<user>-after`, at most 64 identifier characters.
        if let activity, activity.count > 40 { throw ValidationError("--activity: at most 40 characters") }
    }

    var mix: RainUserMix {
        RainUserMix(walletReaders: walletReaders, midRainWithdrawers: withdrawMid, afterRainWithdrawers: withdrawAfter,
                    midRound: rounds / 2)
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
            + "every \(retryEvery)th drop retried; users: \(walletReaders)% read their wallet, \(withdrawMid)% withdraw mid-rain, "
            + "\(withdrawAfter)% after")
        let api = apiURL.map {
            WalletAPIClient.make(baseURL: $0, gatewayKey: config.string(forKey: "api.gatewayKey", isSecret: true), connections: 64)
        }
        let cashType = RainPlan.mix[0].type
        let wallets = api.map {
            RainWallets(api: $0, mix: mix, activityID: activityID, sceneID: RedEnvelopeRain(client: client, activityID: activityID).activity.sceneID, cashType: cashType,
                        currency: units[cashType] ?? "CNY")
        }
        let rain = RainGrants(plan: plan, client: client, wallets: wallets)
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
        await wallets?.finishActions()
        await wallets?.recheckUnshown(concurrency: 32)
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
        if let wallets, mix.afterRainWithdrawers > 0 {
            progress.show("withdrawing after the rain")
            await wallets.withdrawAfterRain(concurrency: 32)
            progress.finish("withdrawn after the rain: \(wallets.report.withdrawals.filter { !$0.midRain }.count) withdrawals")
        }
        await api?.shutdown()

        let expected = result.accepted.count.values.reduce(0, +)
        let settleStart = ContinuousClock.now
        var credited = try await ledgers.creditedClaims()
        while credited < expected, ContinuousClock.now - settleStart < .seconds(settleTimeout) {
            progress.show("settling: credited \(credited)/\(expected)")
            try await Task.sleep(for: .milliseconds(500))
            credited = try await ledgers.creditedClaims()
        }
        progress.finish("settled: \(credited)/\(expected) credited, \(Int((ContinuousClock.now - settleStart).components.seconds)) s after the last grant")

        let books = RainBooks(pool: pool, activityID: activityID)
        let report = wallets?.report
        let summary = RainSummary(
            grants: result, credits: try await ledgers.credits(), achievedRates: try await ledgers.achievedRates(),
            configuredRates: configured, settleDelays: try await ledgers.settleDelays(),
            delivered: try await topics.recordCount() - recordsBefore, creditedClaims: credited,
            deadLetters: try await ledgers.deadLetters(), units: units, wallets: report,
            books: [
                try await books.balances(), try await books.withdrawals(report?.withdrawals ?? []),
                try await books.orders(result.accepted.orders, plan: plan, ledgers: clientConfiguration.catalog.types.mapValues(\.ledger)),
            ])
        let balanced = summary.print()
        if !balanced { throw ExitCode(1) }
    }
}
