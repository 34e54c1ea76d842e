import Foundation
import MariaDB
import RewardCore
import RewardOps
import RewardSettlement
import RewardStores

/// Reads the night's figures from their sources, each panel on its own so one source down
/// leaves the others on the page. Lag and ETAs come from the same code `reward-admin lag` runs.
struct NightReader: Sendable {
    let sources: ConsoleSources
    let configuration: ConsoleConfiguration
    let scraper = MetricsScraper()

    func read() async -> NightFigures {
        let pool = sources.pool
        let window = configuration.creditWindow
        async let measured = Figure<[String: Double]>.reading { try await CreditRates.measure(pool: pool, window: window) }
        async let limits = Figure<RateLimitConfiguration>.reading { try RateLimitConfiguration.load(from: sources.rateLimitsPath) }
        async let lagRows = readLag()
        async let consumers = Figure<[ConsumerLease]>.reading { try await LaneActivity.leases(pool: pool) }
        async let daemons = scraper.read(configuration.daemons)
        async let deadLetters = Figure<DeadLetterFigures>.reading {
            let store = DeadLetterStore(pool: pool)
            var newest = DeadLetterFilter()
            newest.limit = 12
            newest.newestFirst = true
            newest.withPayload = false
            return DeadLetterFigures(byReason: try await store.countsByReason(), newest: try await store.list(newest))
        }
        async let budgets = Figure<[BudgetStatus]>.reading { try await BudgetAdministration(pool: pool).show() }
        async let reconciliation = Figure<ReconciliationFigures>.reading {
            let store = ReconciliationStore(pool: pool)
            guard let run = try await store.latestRun() else { return ReconciliationFigures(run: nil, findings: []) }
            return ReconciliationFigures(run: run, findings: try await store.findings(runID: run.runID, limit: 50))
        }
        let configured = await limits
        async let switches = Figure<SwitchFigures>.reading {
            let store = ControlStore(pool: pool)
            return SwitchFigures(state: try await store.state(), history: try await store.history(limit: 20),
                                 keys: controlKeys((try? configured.get()) ?? RateLimitConfiguration()))
        }
        let rates = await measured
        return NightFigures(
            takenAt: Date(), lag: lagFigures(await lagRows, measured: rates, limits: configured),
            rates: rateFigures(measured: rates, limits: configured), consumers: await consumers, daemons: await daemons,
            deadLetters: await deadLetters, budgets: await budgets, reconciliation: await reconciliation, switches: await switches)
    }

    /// Every reward type's switch, every limited type's and shared downstream's rate, withdrawals
    /// and the wallet's reduced mode: the controls an operator may want on a festival night.
    private func controlKeys(_ limits: RateLimitConfiguration) -> [ControlKey] {
        sources.catalog.types.keys.map(ControlKey.rewardType) + limits.rates.keys.map(ControlKey.fleetRate)
            + limits.sharedDownstreams.keys.map { .fleetRate("shared:\($0)") } + [.withdrawals, .walletReduced]
    }

    /// Every main lane topic of every cluster in the directory, split by type (sampled).
    private func readLag() async -> Figure<[(cluster: String, rows: Figure<[LagRow]>)]> {
        await .reading {
            let directory = try ClusterDirectory.load(from: sources.clustersPath)
            var clusters: [(cluster: String, rows: Figure<[LagRow]>)] = []
            for name in directory.clusters.keys.sorted() {
                let cluster = ClusterName(rawValue: name)
                clusters.append((name, await .reading {
                    let topics = try TopicDefinition.load(directory: sources.topicsDirectory, cluster: cluster)
                        .filter { $0.role == .main }.sorted { $0.name < $1.name }.map { (name: $0.name, lane: $0.lane) }
                    return try await LagReporter(connection: try directory.connection(cluster), cluster: cluster,
                                                 logger: sources.logger)
                        .report(topics: topics, byType: true, sampleLimit: configuration.lagSampleLimit)
                }))
            }
            return clusters
        }
    }

    private func lagFigures(_ clusters: Figure<[(cluster: String, rows: Figure<[LagRow]>)]>, measured: Figure<[String: Double]>,
                            limits: Figure<RateLimitConfiguration>) -> Figure<LagFigures> {
        clusters.map { clusters in
            var rows: [LagRow] = []
            var failed: [(cluster: String, failure: SourceFailure)] = []
            for (cluster, result) in clusters {
                switch result {
                case .success(let clusterRows): rows += clusterRows
                case .failure(let failure): failed.append((cluster, failure))
                }
            }
            var totals: [String: LagTotal] = [:]
            for row in rows {
                let key = "\(row.cluster)/\(row.lane)/\(row.rewardType)"
                totals[key, default: LagTotal(cluster: row.cluster, lane: row.lane, rewardType: row.rewardType, lag: 0)].lag += row.lag
            }
            let etas = LaneETA.estimate(rows: rows, catalog: sources.catalog, measured: (try? measured.get()) ?? [:],
                                        fleetRates: (try? limits.get())?.rates ?? [:])
            return LagFigures(totals: totals.values.sorted { ($0.cluster, $0.lane, $0.rewardType) < ($1.cluster, $1.lane, $1.rewardType) },
                              etas: etas, failedClusters: failed)
        }
    }

    private func rateFigures(measured: Figure<[String: Double]>, limits: Figure<RateLimitConfiguration>) -> Figure<RateFigures> {
        measured.flatMap { measured in
            limits.map { limits in
                let owner = Dictionary(limits.sharedDownstreams.flatMap { name, shared in shared.types.map { ($0, name) } },
                                       uniquingKeysWith: { first, _ in first })
                let types = sources.catalog.types.values.sorted { ($0.lane.rawValue, $0.id) < ($1.lane.rawValue, $1.id) }.map { type in
                    TypeRate(rewardType: type.id, lane: type.lane.rawValue, creditsPerSecond: measured[type.id] ?? 0,
                             limit: limits.rates[type.id], sharedDownstream: owner[type.id])
                }
                let shared = limits.sharedDownstreams.sorted { $0.key < $1.key }.map { (name: $0.key, rate: $0.value.rate, types: $0.value.types) }
                return RateFigures(types: types, shared: shared, windowSeconds: Int(configuration.creditWindow.components.seconds))
            }
        }
    }
}
