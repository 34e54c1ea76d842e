import Crypto
import Foundation
import MariaDB
import MetricsTestKit
import RewardCore
@testable import RewardSettlement
import RewardTestKit
import Testing

@Suite("Sharded stores")
struct ShardingTests {
    @Test("The slot of a key is the first 8 bytes of its SHA-256, big-endian, modulo 4096; even ranges spread keys fairly")
    func stableHash() throws {
        let digest = Array(SHA256.hash(data: Array("order-42".utf8)))
        let expected = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        #expect(ShardedPool.stableHash("order-42") == expected)
        #expect(ShardSlots.slot(for: "order-42") == Int(expected % 4096))
        // Spread: 4 shards, 8,000 keys, each shard within 20% of its fair share.
        let slots = ShardSlots.evenRanges(shards: 4)
        var counts = [Int](repeating: 0, count: 4)
        for index in 0..<8000 { counts[slots.shard(for: "o\(index)")] += 1 }
        #expect(counts.allSatisfy { abs($0 - 2000) < 400 }, "\(counts)")
        #expect(ShardSlots.evenRanges(shards: 1).shard(for: "anything") == 0)
    }

    @Test("Adding a fourth shard to three moves only the keys of the slots it takes, about a quarter; modulo would move three in four")
    func addingAShardMovesOnlyItsSlots() throws {
        let three = ShardSlots.evenRanges(shards: 3)
        let four = three.addingShard()
        #expect(four.shardCount == 4)
        let owned = (0..<4).map { shard in four.owners.filter { $0 == shard }.count }
        #expect(owned.allSatisfy { abs($0 - 1024) <= 1 }, "\(owned)")
        let keys = (0..<20_000).map { "order-\($0)" }
        let moved = keys.filter { three.shard(for: $0) != four.shard(for: $0) }
        #expect(moved.allSatisfy { four.shard(for: $0) == 3 }, "a key moved between old shards")
        #expect(Double(moved.count) / Double(keys.count) < 0.27, "\(moved.count) of \(keys.count) moved")
        let moduloMoved = keys.filter { ShardedPool.stableHash($0) % 3 != ShardedPool.stableHash($0) % 4 }
        #expect(Double(moduloMoved.count) / Double(keys.count) > 0.7)
    }

    @Test("A slot table from the configuration is checked: length, shard numbers, no idle shard")
    func slotTableChecked() throws {
        #expect(throws: ShardSlotsError.self) { try ShardSlots(owners: [0, 1], shards: 2) }
        var owners = ShardSlots.evenRanges(shards: 2).owners
        owners[5] = 2
        let outside = #expect(throws: ShardSlotsError.self) { try ShardSlots(owners: owners, shards: 2) }
        #expect(outside?.message.contains("slot 5") == true)
        let idle = #expect(throws: ShardSlotsError.self) { try ShardSlots(owners: [Int](repeating: 0, count: 4096), shards: 2) }
        #expect(idle?.message.contains("shard 1 owns no slot") == true)
        #expect(try ShardSlots(owners: ShardSlots.evenRanges(shards: 3).owners, shards: 3) == .evenRanges(shards: 3))
    }

    @Test("Claims by order id and wallets by user id on two databases: each row on its shard, paid once in all")
    func twoShards() async throws {
        let first = try await TestMariaDB.makeDatabase(prefix: "shard_a")
        let second = try await TestMariaDB.makeDatabase(prefix: "shard_b")
        let pools = [first, second].map { MariaDBPool(configuration: $0.configuration, logger: TestMariaDB.quietLogger) }
        do {
            for pool in pools { try await SettlementFixture.migrate(pool) }
            let claims = ShardedPool(pools)
            let wallets = ShardedPool([pools[1], pools[0]])
            let stores = SettlementStores(claims: claims, wallet: wallets, budgets: claims)
            let metrics = TestMetrics()
            let logger = makeTestLogger("shards")
            let engine = SettlementEngine(
                configuration: SettlementEngine.Configuration(), stores: stores,
                ledgers: LedgerDirectory(ledgers: [WalletLedger(shards: stores.wallet, logger: logger, metrics: metrics)]),
                catalog: try SettlementFixture.repositoryCatalog(), logger: logger, metrics: metrics)
            let events = (0..<1000).map { makeEvent(order: "s-\($0)", user: "u\($0 % 37)", amount: Int64(1 + $0 % 500)) }
            var requests = events.map { SettlementRequest(testEvent: $0, source: consumerSource()) }
            requests += events.prefix(100).map { SettlementRequest(testEvent: $0, source: .drain) }
            var reused = events[7]
            reused.user = User(id: "intruder", deviceID: "d", appID: "app")
            requests.append(SettlementRequest(testEvent: reused, source: .replay))
            let fed = try await ExactlyOnceLoadTests.feed(requests, to: engine, tasks: 3, batch: 200)
            let counts = tally(fed.outcomes)
            #expect((counts["credited"] ?? 0) + (counts["already_credited"] ?? 0) == 1100 && counts["conflict"] == 1, "\(counts)")
            #expect((counts["credited"] ?? 0) >= 1000 - fed.retried && (counts["credited"] ?? 0) <= 1000)

            // Every claim and anomaly on the shard of its order id, every wallet row on its user's.
            var claimCount = 0
            for (index, pool) in pools.enumerated() {
                for row in try await pool.query("SELECT order_id FROM order_claims") {
                    let orderID: String = try row.decode("order_id")
                    #expect(claims.shard(for: orderID) == index, "\(orderID) claimed on the wrong shard")
                    claimCount += 1
                }
                for row in try await pool.query("SELECT DISTINCT user_id FROM wallet_entries") {
                    let userID: String = try row.decode("user_id")
                    #expect(wallets.pools[wallets.shard(for: userID)] === pool, "\(userID)'s legs on the wrong shard")
                }
            }
            #expect(claimCount == 1000)
            let anomalies = try await claims.pool(for: "s-7").query("SELECT COUNT(*) AS n FROM order_anomalies")
            #expect(try anomalies[0].decode("n", as: Int.self) == 1)

            var balances: [String: Int64] = [:]
            for pool in pools {
                for row in try await pool.query("SELECT user_id, balance FROM wallet_accounts") {
                    balances[try row.decode("user_id"), default: 0] += try row.decode("balance")
                }
            }
            let expected = events.reduce(into: [String: Int64]()) { $0[$1.user.id, default: 0] += $1.bonus.amount }
            #expect(balances == expected)
        } catch {
            Issue.record(error)
        }
        for pool in pools { await pool.shutdown() }
        try await first.drop()
        try await second.drop()
    }
}
