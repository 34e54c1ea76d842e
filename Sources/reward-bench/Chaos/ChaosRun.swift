import AsyncHTTPClient
import Foundation
import Kafka
import Logging
import RewardCore
import RewardSDK
import RewardOps
import RewardTestKit

/// One seeded chaos run: start the stack, drive traffic while the schedule's faults come and go,
/// heal everything, wait until the lanes are drained, and check the books.
struct ChaosRun {
    struct Options: Sendable {
        var seed: UInt64
        var durationSeconds: Int
        var kinds: [ChaosFaultKind]
        var grantsPerSecond: Int
        var instances: Int
        var settleSeconds: Int
    }

    /// The partner's fleet rate (ops/config/rate-limits.json: 2,000/s) per 100 ms slice, and the
    /// simulator's capacity beyond it (10 % headroom, as in ops/demo).
    static let partnerLimitPerSlice = 200
    static let partnerCapacityPerSlice = 220

    let options: Options
    let paths: ChaosStack.Paths
    let logger: Logger

    /// Runs it and prints the report; returns whether every invariant held.
    func run() async throws -> Bool {
        let schedule = ChaosSchedule.draw(seed: options.seed, durationMilliseconds: options.durationSeconds * 1_000, kinds: options.kinds,
                                          consumerSlots: 2 * ChaosStack.lanes.count * options.instances)
        say("chaos seed \(options.seed): \(options.durationSeconds) s, \(schedule.faults.count) faults, "
              + "\(options.grantsPerSecond) SDK grants/s and 10 HTTP grants/s, \(options.instances) consumers per lane per cluster")
        for fault in schedule.faults { say("  " + ChaosReport.describe(fault)) }

        try FileManager.default.createDirectory(atPath: paths.work, withIntermediateDirectories: true)
        say("starting the stack in \(paths.work)")
        let stack = try await ChaosStack.start(paths: paths, instances: options.instances,
                                               partnerCapacityPerSlice: Self.partnerCapacityPerSlice, logger: logger)
        do {
            let passed = try await drive(stack, schedule)
            await stack.shutdown()
            return passed
        } catch {
            await stack.shutdown()
            throw error
        }
    }

    private func drive(_ stack: ChaosStack, _ schedule: ChaosSchedule) async throws -> Bool {
        guard let apiPort = await stack.api?.port else { throw ChaosError("reward-api did not start") }
        try await waitUntilReady(apiPort)
        let grants = ChaosGrants()
        let run = "c\(options.seed)"
        let probe = ChaosProbe(stack: stack, grants: grants, run: run, rate: options.grantsPerSecond)
        let traffic = ChaosTraffic(apiPort: apiPort, grants: grants, run: run)
        let injector = ChaosInjector(stack: stack, probe: probe, seed: options.seed, grants: grants, logger: logger,
                                     partnerCapacity: Self.partnerCapacityPerSlice)
        try await probe.start()
        say("stack up; traffic and faults for \(options.durationSeconds) s")
        let began = ContinuousClock.now
        let outcomes = await withTaskGroup(of: ChaosReport.Outcome.self) { group in
            group.addTask {
                await traffic.run(for: .seconds(options.durationSeconds))
                return ChaosReport.Outcome(fault: nil)
            }
            for fault in schedule.faults {
                group.addTask { await Self.play(fault, injector: injector, from: began) }
            }
            var outcomes: [ChaosReport.Outcome] = []
            for await outcome in group where outcome.fault != nil { outcomes.append(outcome) }
            return outcomes
        }

        // Heal everything again (idempotent), stop the SDK traffic and replay its spool.
        for fault in schedule.faults where fault.healsAgainAtEnd { try? await injector.heal(fault) }
        try await stack.database.start()
        try await stack.healConsumers()
        try await probe.stop()
        await traffic.finishWithdrawals()
        let healedAt = ContinuousClock.now
        say("healed; waiting until every lane is drained (at most \(options.settleSeconds) s)")
        let settled = try await waitUntilSettled(stack, grants, since: healedAt)
        if case .failure = settled { await stack.keepMetrics() }

        let books = ChaosBooks(pool: stack.pool, simulator: stack.simulator, keyRing: ChaosStack.keyRing,
                               sent: await grants.sent, answered: await grants.answered)
        let credits = try await books.credits()
        let (amounts, byType) = books.amounts(credits)
        let rain = RainBooks(pool: stack.pool, activityID: "chaos")
        let withdrawals = await traffic.withdrawals
        let (deadLetters, deadLetterCount) = try await books.deadLetters(poisoned: injector.poisoned.value)
        var checks = [books.exactlyOnce(credits), amounts, try await books.doubleEntry(), try await rain.balances(),
                      try await rain.withdrawals(withdrawals), try await books.tokens(),
                      books.partnerRate(limitPerSlice: Self.partnerLimitPerSlice), deadLetters]
        var forgery = RainBooks.Check(name: "I4 no withdrawal presenting an altered token paid")
        let forged = await traffic.forged
        for withdrawal in withdrawals where forged.contains(withdrawal.requestID) {
            forgery.count(withdrawal.outcome == .paidOut, "\(withdrawal.requestID) was paid \(withdrawal.amount)")
        }
        checks.append(forgery)
        var liveness = RainBooks.Check(name: "liveness: drained within \(options.settleSeconds) s of healing; no process crashed")
        if case .failure(let missing) = settled { liveness.count(true, "not drained in \(options.settleSeconds) s: \(missing)") }
        for crash in await stack.crashes + (await probe.failures) { liveness.count(true, crash) }
        for outcome in outcomes where outcome.error != nil { liveness.count(true, "\(outcome.fault!.kind.rawValue): \(outcome.error!)") }
        checks.append(liveness)
        // A grant the books miss: say where its records are, or that Kafka never had one.
        let missing = Set(await grants.answered.keys).subtracting(credits.keys)
        if !missing.isEmpty {
            let finder = ChaosRecordFinder(root: paths.root, clusters: stack.clusters, logger: logger)
            let found = (try? await finder.find(Set(missing.sorted().prefix(20)))) ?? [:]
            var quarantined: [String: String] = [:]  // order → where the SDK's spool quarantined it and why
            for spool in ["probe-spool", "api-spool"] {
                for entry in (try? await SpoolInspection.list(directory: "\(paths.work)/\(spool)")) ?? [] {
                    for refusal in entry.refusals {
                        quarantined[refusal.orderID] = "quarantined in \(spool)/\(entry.file) (\(refusal.cluster) \(refusal.code))"
                    }
                }
            }
            for order in missing.sorted().prefix(20) {
                let claim = try? await stack.pool.query(
                    "SELECT state, ledger, claimed_by, attempts FROM order_claims WHERE order_id = \(order)").first.map {
                        "claim \(try $0.decode("state", as: String.self)) by \(try $0.decode("claimed_by", as: String.self)) "
                            + "for \(try $0.decode("ledger", as: String.self)), \(try $0.decode("attempts", as: Int.self)) attempt(s)"
                    }
                say("  missing \(order): " + (found[order].map { "records at \($0.joined(separator: ", "))" } ?? "on no lane topic of either cluster")
                    + (quarantined[order].map { "; \($0)" } ?? "")
                    + "; " + ((claim ?? nil) ?? "no claim"))
            }
        }
        await traffic.shutdown()

        let report = ChaosReport(seed: options.seed, outcomes: outcomes, checks: checks)
        report.printFaults()
        say("traffic: SDK \(await grants.sent.keys.filter { $0.hasPrefix("probe:") }.count) orders sent, "
              + "\(await grants.answered.keys.filter { $0.hasPrefix("probe:") }.count) answered (SDK killed \(await probe.kills)×); "
              + "HTTP \(await traffic.counts.grantsAnswered) answered, \(await traffic.counts.grantsRefused) refused; "
              + "wallet reads \(await traffic.counts.walletReads) (\(await traffic.counts.walletReadFailures) failed); "
              + ChaosReport.describe(withdrawals))
        say("credited: " + byType.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.count) (\($0.value.amount))" }.joined(separator: ", ")
              + "; \(injector.poisoned.value) poison records, dead letters \(deadLetterCount.values.reduce(0, +)) "
              + "\(deadLetterCount.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }); "
              + ((try? settled.get()).map { "drained \(String(format: "%.1f", GrantPhase.seconds($0))) s after healing" } ?? "not drained"))
        return report.printChecks()
    }

    private static func play(_ fault: ChaosFault, injector: ChaosInjector, from began: ContinuousClock.Instant) async -> ChaosReport.Outcome {
        var outcome = ChaosReport.Outcome(fault: fault)
        try? await Task.sleep(until: began + .milliseconds(fault.startMilliseconds), clock: .continuous)
        do {
            try await injector.inject(fault)
            outcome.injected = true
        } catch {
            outcome.error = "inject: \(error)"
        }
        try? await Task.sleep(until: began + .milliseconds(fault.endMilliseconds), clock: .continuous)
        do {
            try await injector.heal(fault)
            outcome.healed = true
        } catch {
            outcome.error = (outcome.error.map { $0 + "; " } ?? "") + "heal: \(error)"
        }
        return outcome
    }

    private func waitUntilReady(_ port: Int) async throws {
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { Task { try? await http.shutdown() } }
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let response = try? await http.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/readyz"), timeout: .seconds(2)),
               response.status.code == 200 { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw ChaosError("reward-api was not ready in 60 s")
    }

    /// Until every answered grant has a credit and every lane topic's lag is 0; nil past the bound,
    /// with what was still missing.
    private func waitUntilSettled(_ stack: ChaosStack, _ grants: ChaosGrants, since healed: ContinuousClock.Instant) async throws
        -> Result<Duration, ChaosError>
    {
        let answered = Set(await grants.answered.keys)
        let deadline = healed + .seconds(options.settleSeconds)
        let books = ChaosBooks(pool: stack.pool, simulator: stack.simulator, keyRing: ChaosStack.keyRing, sent: [:], answered: [:])
        var missing = "nothing read yet"
        while ContinuousClock.now < deadline {
            let credited = Set((try? await books.credits())?.keys.map { $0 } ?? [])
            let uncredited = answered.subtracting(credited)
            let lagging = await lag(stack)
            if uncredited.isEmpty, lagging.isEmpty { return .success(ContinuousClock.now - healed) }
            missing = "\(uncredited.count) accepted grants uncredited (e.g. \(uncredited.sorted().prefix(3))); lag: "
                + (lagging.isEmpty ? "none" : lagging.joined(separator: ", "))
            try await Task.sleep(for: .seconds(1))
        }
        return .failure(ChaosError(missing))
    }

    /// Each lane main or retry partition with lag on either cluster (or why the lag could not be read).
    private func lag(_ stack: ChaosStack) async -> [String] {
        var lagging: [String] = []
        for (name, servers) in stack.clusters.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            do {
                let topics = try TopicDefinition.load(directory: "\(paths.root)/topics", cluster: name)
                    .filter { $0.role == .main || $0.role == .retry }.map { (name: $0.name, lane: $0.lane) }
                let reporter = LagReporter(connection: KafkaConnection(bootstrapServers: servers), cluster: name, logger: logger)
                for row in try await reporter.report(topics: topics, byType: false) where row.lag != 0 {
                    lagging.append("\(name.rawValue) \(row.topic)/\(row.partition) \(row.lag) (committed \(row.committed.map(String.init) ?? "none"))")
                }
            } catch {
                lagging.append("\(name.rawValue): lag not readable: \(error)")
            }
        }
        return lagging
    }
}
