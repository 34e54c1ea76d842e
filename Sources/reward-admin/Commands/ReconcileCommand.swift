import ArgumentParser
import Foundation
import RewardOps
import RewardSettlement

struct ReconcileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Compare grants, order claims and ledger credits hour by hour; exit 1 on any difference.",
        discussion: """
            Kinds: under_issued, claim_without_credit (both after the grace period), over_issued,
            duplicate_credit, amount_mismatch, user_mismatch, over_budget. The run and its findings are
            written to reconciliation_runs and reconciliation_findings. --repair previews re-issuing the
            missing credits; --repair --execute re-issues them through the settlement engine (idempotent).
            Nothing is ever debited: over-issuance and mismatches need a person. Also balance_mismatch (an
            account's balance differs from the sum of its entries) and unbalanced_transfer (a transfer's legs
            do not sum to 0), for the accounts and transfers the range touched.

            --every 1h runs as a service instead: each cycle reconciles every closed hour of the last
            --lookback-hours that has no run yet or whose last run found differences, and serves
            reward_reconcile_findings{kind} (open findings) on /metrics (--metrics-port). Repair stays manual.
            """)

    @Option(help: "Start of the range (UTC), e.g. 2026-02-16T20:00:00Z; rounded down to the hour.")
    var from: String?

    @Option(help: "End of the range (UTC, exclusive); rounded up to the hour.")
    var to: String?

    @Option(help: "Run as a service: a cycle this often (e.g. 1h, 15m, 30s).")
    var every: String?

    @Option(help: "With --every: hours looked back each cycle.")
    var lookbackHours = 24

    @Option(help: "With --every: port for /metrics and /healthz (0: any free port, printed).")
    var metricsPort = 0

    @Option(help: "Minutes a grant may wait in a queue before it counts as missing.")
    var graceMinutes = 15

    @Flag(help: "Re-issue missing credits (a preview unless --execute).")
    var repair = false

    @Flag(help: "With --repair: re-issue them.")
    var execute = false

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    func run() async throws {
        if let every {
            guard from == nil, to == nil, !repair else { throw ValidationError("--every reconciles closed hours itself: no --from, --to or --repair") }
            guard (1...24 * 30).contains(lookbackHours) else { throw ValidationError("--lookback-hours must be 1-720") }
            return try await ScheduledReconcileService.run(every: try Self.interval(every), lookbackHours: lookbackHours,
                                                           graceMinutes: graceMinutes, metricsPort: metricsPort)
        }
        guard let start = try parseTimeOption(from, "--from"), let end = try parseTimeOption(to, "--to") else {
            throw ValidationError("give --from and --to, or --every to run on a schedule")
        }
        let rangeStart = Date(timeIntervalSince1970: (start.timeIntervalSince1970 / 3600).rounded(.down) * 3600)
        let rangeEnd = Date(timeIntervalSince1970: (end.timeIntervalSince1970 / 3600).rounded(.up) * 3600)
        guard rangeStart < rangeEnd else { throw ValidationError("--from must be before --to") }
        guard graceMinutes >= 0 else { throw ValidationError("--grace-minutes must not be negative") }
        let context = try await CommandContext.make()
        let wiring = try SettlementWiring(config: context.config, logger: context.logger)
        let reconciler = Reconciler(pool: wiring.pool, catalog: wiring.catalog, grace: .seconds(graceMinutes * 60), logger: context.logger)
        var report: ReconciliationReport
        do {
            report = try await reconciler.run(from: rangeStart, to: rangeEnd)
            if repair, execute {
                report.repair = try await reconciler.repair(report, settler: RetryingSettler(engine: wiring.engine), keyRing: wiring.keyRing)
            }
        } catch {
            await wiring.shutdown()
            throw error
        }
        await wiring.shutdown()
        if json {
            print(try JSONOutput.string(report))
        } else {
            printReport(report)
        }
        if !report.isClean { throw ExitCode(1) }
    }

    /// `30s`, `15m`, `1h`: 1 s to 24 h.
    static func interval(_ text: String) throws -> Duration {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600]
        guard let unit = text.last.flatMap({ units[$0] }), text.count <= 8, let count = Int(text.dropLast()),
              (1...86_400).contains(count * unit) else {
            throw ValidationError("--every '\(text)' is not an interval like 30s, 15m or 1h (1 s to 24 h)")
        }
        return .seconds(count * unit)
    }

    private func printReport(_ report: ReconciliationReport) {
        print("reconcile \(Formatting.timestamp(report.from)) .. \(Formatting.timestamp(report.to)) (run \(report.runID.map(String.init) ?? "-"))")
        var buckets = TextTable(["HOUR", "ACTIVITY", "TYPE", "GRANTS", "GRANTED", "CLAIMS", "CLAIMED", "CREDITS", "CREDITED", "PENDING"])
        for b in report.buckets {
            buckets.add([Formatting.timestamp(b.bucketStart), b.activityID, b.rewardType, "\(b.grants)", "\(b.grantedTotal)",
                         "\(b.claims)", "\(b.claimedTotal)", "\(b.credits)", "\(b.creditedTotal)", "\(b.pending)"])
        }
        print(buckets.text)
        guard !report.isClean else {
            print("reconcile: clean, no differences")
            return
        }
        var findings = TextTable(["KIND", "ORDER", "ACTIVITY", "TYPE", "USER", "EXPECTED", "ACTUAL", "DETAIL"])
        for f in report.findings {
            findings.add([f.kind.rawValue, f.orderID ?? "-", f.activityID ?? "-", f.rewardType ?? "-", f.userID ?? "-",
                          f.expectedAmount.map(String.init) ?? "-", f.actualAmount.map(String.init) ?? "-", f.detail])
        }
        print(findings.text)
        let counts = Dictionary(grouping: report.findings, by: \.kind).map { "\($0.key.rawValue) \($0.value.count)" }.sorted()
        print("reconcile: \(report.findings.count) difference(s): \(counts.joined(separator: ", "))")
        let repairable = report.findings.filter(\.kind.isRepairable).count
        if let tally = report.repair {
            print("repair: credited \(tally.credited), already credited \(tally.alreadyCredited), held \(tally.held), "
                + "failed \(tally.retriable + tally.permanent + tally.conflicts); run reconcile again to confirm")
            for (reason, count) in tally.refused.sorted(by: { $0.key < $1.key }) {
                print("repair: \(count) NOT re-issued, the grant's token does not verify: \(reason) (investigate; never paid)")
            }
        } else if repair {
            print("repair preview: \(repairable) missing credit(s) would be re-issued; pass --repair --execute")
        } else if repairable > 0 {
            print("\(repairable) missing credit(s) can be re-issued with --repair --execute; the others need a person")
        }
    }
}
