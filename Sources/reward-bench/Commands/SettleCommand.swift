import ArgumentParser
import Foundation
import Logging
import MariaDB
import Metrics
import RewardCore
import RewardOps
import RewardSettlement
import Synchronization

/// Settlements per second into the MariaDB wallet ledger through the engine, next to a raw
/// batched insert of the same entry rows at the same batch size and concurrency, in one run.
struct SettleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settle",
        abstract: "Engine settlements/s into the wallet ledger vs a raw batched insert of the same rows.",
        discussion: """
            The engine phase settles new cash grants through SettlementEngine (claim, budget check, wallet
            ledger transaction, confirm). The raw phase inserts the same double-entry rows (two per
            settlement) into a copy of wallet_entries with multi-row INSERTs, one transaction per batch, at
            the same batch size and concurrency. The phases alternate for --rounds rounds. The last line is
            the ratio of the two, per settlement.
            """)

    @Option(help: "Seconds each phase runs in all (split over the rounds).")
    var duration = 10.0

    @Option(help: "Rounds of engine-then-raw, so load from elsewhere on the machine falls on both alike.")
    var rounds = 3

    @Option(help: "Settlements per batch (per engine call, per raw transaction).")
    var batchSize = 500

    @Option(help: "Concurrent batches in flight (a consumer settles several partitions at once).")
    var concurrency = 8

    @Option(help: "Distinct users the grants go to.")
    var users = 20_000

    @Option(help: "Folder of the migrations.")
    var migrations = "migrations"

    func validate() throws {
        guard duration > 0, rounds > 0, batchSize > 0, concurrency > 0, users > 0 else {
            throw ValidationError("--duration, --rounds, --batch-size, --concurrency and --users must be positive")
        }
    }

    func run() async throws {
        ProcessLogging.bootstrapOnce(defaultLevel: .warning)
        let logger = Logger(label: "reward-bench")
        try await BenchDatabase.with(migrations: migrations, maxConnections: concurrency * 3 + 2, logger: logger) {
            try await measure($0, logger: logger)
        }
    }

    private func measure(_ database: BenchDatabase, logger: Logger) async throws {
        let catalog = try BenchDatabase.cashCatalog()
        let stores = SettlementStores(single: database.pool)
        let metrics = NOOPMetricsHandler.instance
        let wallet = WalletLedger(shards: stores.wallet, maxBatchSize: batchSize, logger: logger, metrics: metrics)
        var engineConfiguration = SettlementEngine.Configuration()
        engineConfiguration.maxBatchSize = batchSize
        let engine = SettlementEngine(
            configuration: engineConfiguration, stores: stores, ledgers: LedgerDirectory(ledgers: [wallet]),
            catalog: catalog, logger: logger, metrics: metrics)
        print("settle: database \(database.name), batch \(batchSize), \(concurrency) concurrent, \(duration) s per phase")

        try await database.pool.executeScript("CREATE TABLE raw_entries LIKE wallet_entries")
        let failures = Atomic<Int>(0)
        var engineTotal = (count: 0, seconds: 0.0)
        var rawTotal = (count: 0, seconds: 0.0)
        let slice = duration / Double(rounds)
        for round in 0..<rounds {
            // The engine: claim, budget check, wallet transaction, confirm.
            let engineRun = try await Self.run(workers: concurrency, seconds: slice) { worker, sequence in
                let requests = (0..<batchSize).map { offset in
                    Self.request(round: round, worker: worker, batch: sequence, offset: offset, users: users)
                }
                let outcomes = await engine.settle(requests)
                let credited = outcomes.filter { if case .credited = $0 { true } else { false } }.count
                if credited != outcomes.count { failures.add(outcomes.count - credited, ordering: .relaxed) }
                return credited
            }
            // The same rows, inserted raw into a copy of wallet_entries.
            let rawRun = try await Self.run(workers: concurrency, seconds: slice) { worker, sequence in
                var insert = SQLQuery(sql: """
                    INSERT INTO raw_entries (transfer_id, user_id, account, currency, amount, order_id, activity_id,
                        reward_type, created_at) VALUES
                    """)
                let now = Date()
                for offset in 0..<batchSize {
                    let event = Self.request(round: round, worker: worker, batch: sequence, offset: offset, users: users).event
                    let transfer = "credit:\(event.orderID.rawValue)"
                    insert.append(sql: offset == 0 ? " " : ", ")
                    insert.append("""
                        (\(transfer), \(event.user.id), \(event.user.id), 'CNY', \(event.bonus.amount), \(event.orderID.rawValue), \
                        \(event.activity.id), \(event.bonus.rewardType), \(now)), \
                        (\(transfer), \(event.user.id), '~issuance', 'CNY', \(-event.bonus.amount), \(event.orderID.rawValue), \
                        \(event.activity.id), \(event.bonus.rewardType), \(now))
                        """)
                }
                do {
                    _ = try await database.pool.withTransaction { try await $0.execute(insert) }
                    return batchSize
                } catch {
                    failures.add(batchSize, ordering: .relaxed)
                    return 0
                }
            }
            engineTotal = (engineTotal.count + engineRun.count, engineTotal.seconds + engineRun.seconds)
            rawTotal = (rawTotal.count + rawRun.count, rawTotal.seconds + rawRun.seconds)
            print(String(format: "round %d: engine %.0f settlements/s, raw %.0f rows/s", round + 1,
                         Double(engineRun.count) / engineRun.seconds, Double(rawRun.count * 2) / rawRun.seconds))
        }

        let check = try await database.pool.query("""
            SELECT (SELECT COUNT(*) FROM order_claims WHERE state = 'credited') AS claims,
                   (SELECT COUNT(*) FROM wallet_entries) AS legs,
                   (SELECT CAST(COALESCE(SUM(amount), 0) AS SIGNED) FROM wallet_entries) AS net
            """)
        let claims = try check[0].decode("claims", as: Int.self)
        let legs = try check[0].decode("legs", as: Int.self)
        let net = try check[0].decode("net", as: Int64.self)
        let engineRate = Double(engineTotal.count) / engineTotal.seconds
        let rawRows = Double(rawTotal.count * 2) / rawTotal.seconds
        let rawSettlements = Double(rawTotal.count) / rawTotal.seconds
        print(String(format: "engine: %d settlements in %.1f s = %.0f settlements/s", engineTotal.count, engineTotal.seconds, engineRate)
              + " (\(claims) claims credited, \(legs) legs summing to \(net), \(failures.load(ordering: .relaxed)) failed)")
        print(String(format: "raw: %d rows in %.1f s = %.0f rows/s = %.0f settlement-equivalents/s (2 entry rows each)",
                     rawTotal.count * 2, rawTotal.seconds, rawRows, rawSettlements))
        print(String(format: "ratio engine/raw: %.2f", rawSettlements > 0 ? engineRate / rawSettlements : 0))
    }

    /// The bench signs its own grants; the engine settles only grants a key ring verified.
    private static let keyRing = try! TokenKeyRing(keys: [1: (0..<32).map { UInt8($0 &* 7 &+ 3) }], currentKeyID: 1)

    private static func request(round: Int, worker: Int, batch: Int, offset: Int, users: Int) -> SettlementRequest {
        let serial = (worker &* 1_000_003 &+ batch &* 7919 &+ offset) & 0x7fff_ffff
        let user = "u\(serial % users)"
        let orderID = OrderID("bench:\(round):\(worker):\(batch):\(offset)")
        let amount = Int64(1 + serial % 888)
        let granted = Date(timeIntervalSince1970: 1_800_000_000)
        let token = keyRing.mint(orderID: orderID, userID: user, rewardType: "cash_bench", amount: amount, activityID: "bench",
                                 issuedAt: granted)
        let event = BonusEvent(
            orderID: orderID, activity: Activity(id: "bench", sceneID: "rain"),
            user: User(id: user, deviceID: "device-\(user)", appID: "bench"),
            bonus: BonusContent(rewardType: "cash_bench", amount: amount), lane: .cash,
            grantedAtMilliseconds: 1_800_000_000_000, token: token.encoded)
        // The bench minted it a moment ago: it verifies.
        return SettlementRequest(grant: try! keyRing.verify(event, activityFrom: .ourRecords, now: nil), source: .drain)
    }

    /// Runs `workers` loops of `body` until `seconds` pass; returns the summed counts and the real time.
    private static func run(
        workers: Int, seconds: Double, _ body: @escaping @Sendable (_ worker: Int, _ sequence: Int) async throws -> Int
    ) async throws -> (count: Int, seconds: Double) {
        let started = ContinuousClock.now
        let deadline = started + .milliseconds(Int(seconds * 1000))
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var count = 0
                    var sequence = 0
                    while ContinuousClock.now < deadline {
                        count += try await body(worker, sequence)
                        sequence += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - started
        return (total, GrantPhase.seconds(elapsed))
    }
}
