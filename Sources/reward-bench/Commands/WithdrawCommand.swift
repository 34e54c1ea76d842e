import ArgumentParser
import Foundation
import Kafka
import Logging
import MariaDB
import Metrics
import RewardCore
import RewardOps
import RewardSettlement
import RewardWallet
import Synchronization

/// Withdrawal latency for a user with pending rewards while a backlog waits in Kafka, next to a
/// withdrawal with nothing pending (debit and payout only), in one run.
struct WithdrawCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "withdraw",
        abstract: "Withdrawal latency with 100 pending rewards behind a 100,000-event backlog vs a withdrawal with none pending.",
        discussion: """
            Hosts a mock Kafka cluster in-process and produces --backlog events of other users to reward-cash,
            whose tokens are recorded as the SDK records them; no consumer runs, so they wait. Each measured user
            has --pending recorded tokens and no credits: the withdrawal verifies, force-settles and debits them
            all. The baseline withdraws the same amount from a user whose rewards are credited already. The
            phases alternate; the last line is the ratio of the p50s.
            """)

    @Option(help: "Withdrawals measured per phase.")
    var withdrawals = 40

    @Option(help: "Pending rewards of each measured user.")
    var pending = 100

    @Option(help: "Other users' events waiting in the queue (and their recorded tokens).")
    var backlog = 100_000

    @Option(help: "Folder of the migrations.")
    var migrations = "migrations"

    func validate() throws {
        guard withdrawals > 0, pending > 0, backlog >= 0 else {
            throw ValidationError("--withdrawals and --pending must be positive, --backlog not negative")
        }
    }

    func run() async throws {
        ProcessLogging.bootstrapOnce(defaultLevel: .warning)
        let logger = Logger(label: "reward-bench")
        try await BenchDatabase.with(migrations: migrations, maxConnections: 16, logger: logger) { try await measure($0, logger: logger) }
    }

    private func measure(_ database: BenchDatabase, logger: Logger) async throws {
        let catalog = try BenchDatabase.cashCatalog()
        let keyRing = try TokenKeyRing(keys: [1: (0..<32).map { _ in UInt8.random(in: 0...255) }], currentKeyID: 1)
        let stores = WalletStores(single: database.pool)
        let metrics = NOOPMetricsHandler.instance
        let engine = SettlementEngine(
            configuration: .init(), stores: stores.settlement,
            ledgers: LedgerDirectory(ledgers: [WalletLedger(shards: stores.settlement.wallet, logger: logger, metrics: metrics)]),
            catalog: catalog, logger: logger, metrics: metrics)
        var configuration = WithdrawalService.Configuration()
        configuration.attemptsPerUser = 1_000
        let service = WithdrawalService(
            configuration: configuration, stores: stores, engine: engine, payout: PayoutLedger(shards: stores.settlement.wallet),
            catalog: catalog, keyRing: keyRing, logger: logger, metrics: metrics)

        print("withdraw: database \(database.name), \(withdrawals) withdrawals per phase, \(pending) pending each, backlog \(backlog)")
        let cluster = try KafkaMockCluster(name: "bench", brokers: 3, logger: logger)
        try cluster.createTopic("reward-cash", partitions: 12, replicationFactor: 3)
        let others = (0..<backlog).map { Self.grant(keyRing, order: "backlog-\($0)", user: "other-\($0 % 20_000)", amount: Int64(1 + $0 % 500)) }
        try await Self.produce(others, to: cluster, logger: logger)
        try await Self.record(others, pool: database.pool)
        print("withdraw: \(backlog) events waiting in reward-cash, their tokens recorded")

        var measured = Latencies()
        var baseline = Latencies()
        var failures = 0
        for round in 0..<withdrawals {
            let grants = (0..<pending).map { Self.grant(keyRing, order: "p-\(round)-\($0)", user: "pending-\(round)", amount: 100) }
            try await Self.record(grants, pool: database.pool)
            let credited = (0..<pending).map { Self.grant(keyRing, order: "c-\(round)-\($0)", user: "credited-\(round)", amount: 100) }
            try await Self.record(credited, pool: database.pool)
            _ = await engine.settle(credited.map {
                SettlementRequest(grant: try! keyRing.verify($0, activityFrom: .ourRecords, now: nil), source: .drain)
            })
            let amount = Int64(pending) * 100

            for (user, phase) in [("pending-\(round)", 0), ("credited-\(round)", 1)] {
                let started = ContinuousClock.now
                let receipt = try? await service.withdraw(WithdrawalRequest(userID: user, amount: amount, currency: "CNY",
                                                                           requestID: "wd-\(user)"))
                let elapsed = ContinuousClock.now - started
                let nanos = UInt64(elapsed.components.seconds) * 1_000_000_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000)
                if receipt?.status != .paidOut { failures += 1 }
                if phase == 0 { measured.record(nanoseconds: nanos) } else { baseline.record(nanoseconds: nanos) }
            }
        }
        let check = try await database.pool.query("""
            SELECT (SELECT COUNT(*) FROM order_claims) AS claims, (SELECT COUNT(*) FROM payouts) AS payouts,
                   (SELECT CAST(COALESCE(SUM(balance), 0) AS SIGNED) FROM wallet_accounts) AS left_over
            """)
        print("withdraw with \(pending) pending: \(measured.summary)")
        print("baseline, nothing pending: \(baseline.summary)")
        print("checks: \(try check[0].decode("claims", as: Int.self)) claims (backlog untouched), "
              + "\(try check[0].decode("payouts", as: Int.self)) payouts, balance left \(try check[0].decode("left_over", as: Int64.self)), "
              + "\(failures) withdrawals not paid out")
        print(String(format: "ratio p50 pending/baseline: %.2f", baseline.p50 > 0 ? measured.p50 / baseline.p50 : 0))
    }

    private static func grant(_ ring: TokenKeyRing, order: String, user: String, amount: Int64) -> BonusEvent {
        BenchGrant.event(ring, order: order, user: user, type: "cash_bench", amount: amount, lane: .cash,
                         activity: Activity(id: "bench", sceneID: "rain"))
    }

    /// Records tokens in `reward_tokens` as the SDK's recorder does (500 rows per statement).
    private static func record(_ grants: [BonusEvent], pool: MariaDBPool) async throws {
        for start in stride(from: 0, to: grants.count, by: 500) {
            var query: SQLQuery = """
                INSERT INTO reward_tokens (user_id, order_id, token, activity_id, scene_id, reward_type, amount, issued_at,
                    expires_at, recorded_by, recorded_at) VALUES
                """
            for (index, grant) in grants[start..<min(start + 500, grants.count)].enumerated() {
                let issued = Date(timeIntervalSince1970: Double(grant.grantedAtMilliseconds) / 1000)
                query.append(sql: index == 0 ? " " : ", ")
                query.append("""
                    (\(grant.user.id), \(grant.orderID.rawValue), \(grant.token), \(grant.activity.id), \(grant.activity.sceneID), \
                    \(grant.bonus.rewardType), \(grant.bonus.amount), \(issued), \(issued.addingTimeInterval(86_400)), 'sdk', \(issued))
                    """)
            }
            try await pool.execute(query)
        }
    }

    private static func produce(_ events: [BonusEvent], to cluster: KafkaMockCluster, logger: Logger) async throws {
        var configuration = KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers])
        configuration.clientID = "bench-backlog"
        let producer = try KafkaProducer(configuration: configuration, logger: logger)
        let failed = Atomic<Int>(0)
        for event in events {
            try producer.send(KafkaProducerMessage(topic: "reward-cash", key: event.key, value: event.encoded())) { result in
                if case .failure = result { failed.add(1, ordering: .relaxed) }
            }
        }
        let flushed = await producer.flush(timeout: .seconds(120))
        await producer.shutdown()
        guard flushed, failed.load(ordering: .relaxed) == 0 else {
            throw ValidationError("the backlog was not fully produced (\(failed.load(ordering: .relaxed)) failed)")
        }
    }
}
