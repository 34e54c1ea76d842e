import Foundation
import MariaDB
import RewardCore
@testable import RewardSettlement
import RewardTestKit
import Testing

@Suite("Settlement engine behaviour")
struct EngineBehaviourTests {
    @Test("The same order id twice in one batch: the first is credited, the second is a duplicate or a conflict")
    func duplicatesInsideOneBatch() async throws {
        try await SettlementFixture.with("inbatch") { fixture async throws in
            let engine = fixture.engine()
            let first = makeEvent(order: "dup-1", user: "alice", amount: 500)
            var other = first
            other.user = User(id: "mallory", deviceID: "d", appID: "app")
            let outcomes = await engine.settle([
                SettlementRequest(testEvent: first, source: consumerSource(1)),
                SettlementRequest(testEvent: first, source: .withdrawal(requestID: "w-9")),
                SettlementRequest(testEvent: other, source: consumerSource(2)),
            ])
            #expect(outcomes[0].isCredited)
            #expect(outcomes[1] == .alreadyCredited)
            let conflict = try #require(outcomes[2].conflict, "expected a conflict, got \(outcomes[2])")
            #expect(conflict.claimed.userID == "alice")
            #expect(conflict.incoming.userID == "mallory")
            #expect(conflict.differingFields == ["user_id"])
            #expect(try await fixture.balances() == [.init(userID: "alice", currency: "CNY"): 500])
            #expect(try await fixture.count("SELECT COUNT(*) FROM order_anomalies WHERE order_id = 'dup-1'") == 1)
            #expect(try await fixture.count("SELECT attempts FROM order_claims WHERE order_id = 'dup-1'") == 1)
        }
    }

    @Test("A conflict seen again is recorded once; the claimed grant stays paid once")
    func conflictRecordedOnce() async throws {
        try await SettlementFixture.with("conflictonce") { fixture async throws in
            let engine = fixture.engine()
            let original = makeEvent(order: "c-1", user: "bob", type: "coin_lucky", amount: 70)
            _ = await engine.settle([SettlementRequest(testEvent: original, source: consumerSource())])
            var reused = original
            reused.bonus.amount = 7000
            for source in [consumerSource(5), SettlementSource.replay, .drain] {
                let outcome = await engine.settle([SettlementRequest(testEvent: reused, source: source)])
                #expect(outcome[0].isConflict)
            }
            #expect(try await fixture.count("SELECT COUNT(*) FROM order_anomalies") == 1)
            #expect(try await fixture.balances() == [.init(userID: "bob", currency: "COIN"): 70])
            #expect(fixture.metrics.counterTotal(label: "reward_settlement_conflicts_total") == 3)
        }
    }

    @Test("Bad input is refused with a specific code and writes nothing")
    func refusals() async throws {
        try await SettlementFixture.with("refusals") { fixture async throws in
            var catalog = fixture.catalog
            catalog.setEnabled(false, for: "frame_gold")
            let engine = fixture.engine(catalog: catalog)
            var badTime = makeEvent(order: "t-1", user: "carol", amount: 5)
            badTime.grantedAtMilliseconds = -1
            let outcomes = await engine.settle([
                SettlementRequest(testEvent: makeEvent(order: "x-1", user: "carol", type: "no_such_type", amount: 5), source: .drain),
                SettlementRequest(testEvent: makeEvent(order: "x-2", user: "carol", amount: 999_999), source: .drain),
                SettlementRequest(testEvent: makeEvent(order: "x 3", user: "carol", amount: 5), source: .drain),
                SettlementRequest(testEvent: makeEvent(order: "x-4", user: "carol", type: "frame_gold", amount: 1, lane: .goods),
                                  source: .drain),
                SettlementRequest(testEvent: badTime, source: .drain),
            ])
            #expect(outcomes[0] == .permanent(code: "unknown_reward_type", message: "reward type 'no_such_type' is not in the catalog"))
            #expect(outcomes[1].permanentCode == "amount_out_of_range")
            #expect(outcomes[2].permanentCode == "invalid_order_id")
            #expect(outcomes[3].isRetriable, "a switched-off type is paid later, not dropped")
            #expect(outcomes[4].permanentCode == "invalid_granted_at")
            #expect(try await fixture.count("SELECT COUNT(*) FROM order_claims") == 0)
            #expect(try await fixture.count("SELECT COUNT(*) FROM wallet_entries") == 0)
        }
    }

    @Test("A reward type whose ledger is not configured is permanent; its claim stays for a replay")
    func unknownLedger() async throws {
        try await SettlementFixture.with("noledger") { fixture async throws in
            let engine = fixture.engine()  // no http:partner-prizes ledger
            let outcome = await engine.settle([SettlementRequest(
                testEvent: makeEvent(order: "p-1", user: "dan", type: "prize_partner", amount: 1, lane: .goods), source: .drain)])
            #expect(outcome[0].permanentCode == "unknown_ledger")
            #expect(try await fixture.claimStates() == ["p-1": "claimed"])
        }
    }

    @Test("Goods are granted once per order id, whatever path repeats them")
    func goodsOnce() async throws {
        try await SettlementFixture.with("goods") { fixture async throws in
            let engine = fixture.engine()
            let events = (0..<20).map { makeEvent(order: "g-\($0)", user: "erin", type: "frame_gold", amount: 1, lane: .goods) }
            let first = await engine.settle(events.map { SettlementRequest(testEvent: $0, source: consumerSource()) })
            let again = await engine.settle(events.map { SettlementRequest(testEvent: $0, source: .withdrawal(requestID: "w")) })
            #expect(first.allSatisfy { $0.isCredited })
            #expect(again.allSatisfy { $0 == .alreadyCredited })
            #expect(try await fixture.count("SELECT COUNT(*) FROM goods_grants WHERE user_id = 'erin'") == 20)
            // The ledger itself is idempotent too (a crash after its commit, before the claim's confirm).
            let ledger = GoodsLedger(shards: fixture.stores.goods, logger: fixture.logger, metrics: fixture.metrics)
            let credit = LedgerCredit(orderID: "g-0", userID: "erin", activityID: "fest", rewardType: "frame_gold", amount: 1,
                                      unit: "item", grantedAt: Date())
            #expect(await ledger.credit([credit, credit]) == [.alreadyCredited(reference: "goods:g-0"),
                                                              .alreadyCredited(reference: "goods:g-0")])
            #expect(try await fixture.count("SELECT COUNT(*) FROM goods_grants") == 20)
        }
    }

    @Test("Outcomes are counted by reward type and outcome")
    func outcomeMetrics() async throws {
        try await SettlementFixture.with("metrics") { fixture async throws in
            let engine = fixture.engine()
            let event = makeEvent(order: "m-1", user: "fay", amount: 10)
            _ = await engine.settle([SettlementRequest(testEvent: event, source: .drain), SettlementRequest(testEvent: event, source: .drain)])
            let credited = fixture.metrics.counterTotal(
                label: "reward_settlements_total", dimensions: [("reward_type", "cash_red_envelope"), ("outcome", "credited")])
            let duplicates = fixture.metrics.counterTotal(
                label: "reward_settlements_total", dimensions: [("reward_type", "cash_red_envelope"), ("outcome", "already_credited")])
            #expect(credited == 1)
            #expect(duplicates == 1)
            #expect(try fixture.metrics.expectTimer("reward_ledger_latency_seconds", [("ledger", "wallet")]).values.count == 1)
        }
    }
}
