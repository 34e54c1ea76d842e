import Foundation
import Logging
import Metrics
import RewardCore
import RewardSettlement

/// Consumer overhead (issue 15.3): what the engine alone settles per second in this process, on
/// the same database server, for the types no limit binds — the ceiling the consumers' credits/s
/// are compared with. Batches and concurrency as a lane's fleet settles: one type per batch.
struct PaceOverhead {
    /// The types the overhead scenario drains: cash into the wallet, coupons into the goods ledger.
    static let types: [(id: String, lane: Lane)] = [("cash_red_envelope", .cash), ("coupon_10off", .goods)]

    let database: BenchDatabase
    let catalog: RewardCatalog
    let logger: Logger

    /// Settles `count` new grants (half of each type) from `concurrency` workers in batches of
    /// `batchSize`; returns how many were credited and the seconds it took.
    func engineRate(count: Int, batchSize: Int = 500, concurrency: Int = 8) async throws -> (credited: Int, seconds: Double) {
        let metrics = NOOPMetricsHandler.instance
        let stores = SettlementStores(single: database.pool)
        var configuration = SettlementEngine.Configuration()
        configuration.maxBatchSize = batchSize
        let engine = SettlementEngine(
            configuration: configuration, stores: stores,
            ledgers: LedgerDirectory(ledgers: [
                WalletLedger(shards: stores.wallet, maxBatchSize: batchSize, logger: logger, metrics: metrics),
                GoodsLedger(shards: stores.goods, logger: logger, metrics: metrics),
            ]),
            catalog: catalog, logger: logger, metrics: metrics)
        let keyRing = try TokenKeyRing(keys: [1: (0..<32).map { UInt8($0 &* 5 &+ 1) }], currentKeyID: 1)
        let batches = (count + batchSize - 1) / batchSize
        let now = Date()
        let started = ContinuousClock.now
        // Worker w settles batches w, w + concurrency, …: the same spread as a shared counter, no shared state.
        let credited = await withTaskGroup(of: Int.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var credited = 0
                    for batch in stride(from: worker, to: batches, by: concurrency) {
                        let type = Self.types[batch % Self.types.count]
                        let requests = (batch * batchSize..<min(count, (batch + 1) * batchSize)).map { n in
                            let event = BenchGrant.event(keyRing, order: "engine-\(type.id)-\(n)", user: "pace-u\(n % 50_000)",
                                                         type: type.id, amount: 1, lane: type.lane,
                                                         activity: Activity(id: "pace", sceneID: "backlog"), now: now)
                            // Minted just above with this ring: it verifies.
                            return SettlementRequest(grant: try! keyRing.verify(event, activityFrom: .ourRecords, now: nil), source: .drain)
                        }
                        let outcomes = await engine.settle(requests)
                        credited += outcomes.filter { if case .credited = $0 { true } else { false } }.count
                    }
                    return credited
                }
            }
            return await group.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - started
        return (credited, GrantPhase.seconds(elapsed))
    }
}
