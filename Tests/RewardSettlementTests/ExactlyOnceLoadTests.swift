import Foundation
import MariaDB
import RewardCore
@testable import RewardSettlement
import RewardTestKit
import Testing

/// 100,000 grants with 10% duplicates and 1% conflicting reuse, fed like consumers would.
@Suite("Exactly once under load")
struct ExactlyOnceLoadTests {
    struct Grant: Sendable {
        var order: String
        var user: String
        var type: String
        var amount: Int64

        var currency: String? {
            switch type {
            case "cash_red_envelope": "CNY"
            case "coin_lucky": "COIN"
            default: nil  // goods
            }
        }

        func request(_ source: SettlementSource) -> SettlementRequest {
            SettlementRequest(
                testEvent: makeEvent(order: order, user: user, type: type, amount: amount,
                                 lane: currency == nil ? .goods : .cash),
                source: source)
        }
    }

    /// A small deterministic generator, so a failure can be replayed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test("100k grants, 10% duplicates, 1% conflicts: credited to the cent, conflicts recorded, never paid")
    func hundredThousand() async throws {
        var random = SplitMix(state: 20_261_122)
        let originals: [Grant] = (0..<100_000).map { i in
            let user = "u\((i &* 7919) % 5000)"
            switch i % 10 {
            case 0...5: return Grant(order: "o\(i)", user: user, type: "cash_red_envelope", amount: Int64(1 + (i &* 31) % 88_800))
            case 6...8: return Grant(order: "o\(i)", user: user, type: "coin_lucky", amount: Int64(1 + (i &* 17) % 1000))
            default: return Grant(order: "o\(i)", user: user, type: "coupon_10off", amount: 1)
            }
        }
        // Duplicates: half the same request again, half re-sent by another path.
        let duplicateSources: [SettlementSource] = [.withdrawal(requestID: "w1"), .drain, .replay, .repair]
        var duplicates: [SettlementRequest] = []
        for n in 0..<10_000 {
            let grant = originals[Int(random.next() % UInt64(originals.count))]
            duplicates.append(grant.request(n % 2 == 0 ? consumerSource(Int64(n)) : duplicateSources[n % duplicateSources.count]))
        }
        // Conflicts: 1,000 distinct order ids reused with another user or another amount.
        var conflicts: [Grant] = []
        var conflictOrders = Set<String>()
        while conflicts.count < 1000 {
            let grant = originals[Int(random.next() % UInt64(originals.count))]
            guard conflictOrders.insert(grant.order).inserted, grant.currency != nil else { continue }
            var reused = grant
            if conflicts.count % 2 == 0 { reused.user = "intruder\(conflicts.count)" } else { reused.amount += 1 }
            conflicts.append(reused)
        }

        // Conflicts come after their originals (so which identity wins is known); duplicates anywhere.
        var firstPhase = originals.map { $0.request(consumerSource()) } + duplicates.prefix(7_000)
        firstPhase.shuffle(using: &random)
        var secondPhase = conflicts.map { $0.request(consumerSource()) } + duplicates.suffix(3_000)
        secondPhase.shuffle(using: &random)

        try await SettlementFixture.with("load100k", maxConnections: 16) { fixture async throws in
            // A thousand conflicts log a thousand errors; expected here, so keep the output readable.
            var quiet = fixture.logger
            quiet.logLevel = .critical
            let engine = fixture.engine(logger: quiet)
            let started = ContinuousClock.now
            var outcomes: [SettlementOutcome] = []
            var retried = 0
            for phase in [firstPhase, secondPhase] {
                let fed = try await Self.feed(phase, to: engine, tasks: 4, batch: 500)
                outcomes += fed.outcomes
                retried += fed.retried
            }
            let requests = firstPhase + secondPhase
            let elapsed = ContinuousClock.now - started
            print("load100k: \(requests.count) requests settled in \(elapsed), \(retried) retriable answers settled again")

            // Every request ends settled or refused as a conflict. "Credited by this call" at most
            // once per order id; fewer only where a retried request found its own earlier credit.
            let counts = tally(outcomes)
            #expect((counts["credited"] ?? 0) + (counts["already_credited"] ?? 0) == 110_000, "\(counts)")
            #expect(counts["conflict"] == 1_000, "\(counts)")
            #expect(counts.count == 3, "unexpected outcomes: \(counts); \(Array(Set(outcomes.filter { $0.isRetriable })).prefix(3))")
            #expect((counts["credited"] ?? 0) <= 100_000 && (counts["credited"] ?? 0) >= 100_000 - retried, "\(counts)")
            #expect(retried < requests.count / 100, "\(retried) retriable answers: races should be rare")
            for (request, outcome) in zip(requests, outcomes) where outcome.isConflict {
                #expect(conflictOrders.contains(request.event.orderID.rawValue))
            }

            // Balances to the cent: each account holds exactly the sum of its distinct valid grants.
            var expected: [SettlementFixture.AccountKey: Int64] = [:]
            var goodsCount = 0
            for grant in originals {
                if let currency = grant.currency {
                    expected[SettlementFixture.AccountKey(userID: grant.user, currency: currency), default: 0] += grant.amount
                } else {
                    goodsCount += 1
                }
            }
            let balances = try await fixture.balances()
            let sums = try await fixture.entrySums()
            #expect(balances == expected, "wallet_accounts differ from the distinct grants")
            #expect(sums == expected, "wallet_entries sums differ from the distinct grants")
            #expect(try await fixture.unbalancedTransfers() == 0)
            #expect(try await fixture.count("SELECT COUNT(*) FROM wallet_entries") == 2 * (originals.count - goodsCount))
            #expect(try await fixture.count("SELECT COUNT(*) FROM wallet_accounts WHERE balance < 0") == 0)
            #expect(try await fixture.count("SELECT COUNT(*) FROM goods_grants") == goodsCount)

            // Every conflict recorded once with both versions; none paid.
            var recorded: [String: (user: String, amount: Int64, claimedUser: String, claimedAmount: Int64)] = [:]
            for row in try await fixture.pool.query("""
                SELECT order_id, incoming_user_id, incoming_amount, claimed_user_id, claimed_amount FROM order_anomalies
                """) {
                recorded[try row.decode("order_id")] = (try row.decode("incoming_user_id"), try row.decode("incoming_amount"),
                                                         try row.decode("claimed_user_id"), try row.decode("claimed_amount"))
            }
            #expect(try await fixture.count("SELECT COUNT(*) FROM order_anomalies") == conflicts.count)
            let originalByOrder = Dictionary(uniqueKeysWithValues: originals.map { ($0.order, $0) })
            for conflict in conflicts {
                let record = try #require(recorded[conflict.order], "conflict on \(conflict.order) not recorded")
                #expect(record.user == conflict.user && record.amount == conflict.amount)
                #expect(record.claimedUser == originalByOrder[conflict.order]?.user)
                #expect(record.claimedAmount == originalByOrder[conflict.order]?.amount)
            }
            #expect(!balances.keys.contains { $0.userID.hasPrefix("intruder") }, "a conflicting user was paid")
            #expect(try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE state = 'credited'") == originals.count)
            #expect(fixture.metrics.counterTotal(label: "reward_settlement_conflicts_total") == 1_000)
        }
    }

    /// What a feed ended with: the final outcome per request, and how many retriable answers were
    /// settled again.
    struct Fed: Sendable {
        var outcomes: [SettlementOutcome]
        var retried: Int
    }

    /// Feeds `requests` in batches from `tasks` concurrent tasks, like consumers: a retriable
    /// answer is settled again (a few rounds) and the final outcome kept; outcomes in input order.
    static func feed(_ requests: [SettlementRequest], to engine: SettlementEngine, tasks: Int, batch: Int) async throws -> Fed {
        var outcomes = try await feedOnce(requests, to: engine, tasks: tasks, batch: batch)
        var retried = 0
        for _ in 0..<5 {
            let again = outcomes.indices.filter { outcomes[$0].isRetriable }
            guard !again.isEmpty else { break }
            retried += again.count
            let second = try await feedOnce(again.map { requests[$0] }, to: engine, tasks: tasks, batch: batch)
            for (index, outcome) in zip(again, second) { outcomes[index] = outcome }
        }
        return Fed(outcomes: outcomes, retried: retried)
    }

    private static func feedOnce(_ requests: [SettlementRequest], to engine: SettlementEngine, tasks: Int, batch: Int) async throws
        -> [SettlementOutcome]
    {
        let batches = stride(from: 0, to: requests.count, by: batch).map { start in
            (start, Array(requests[start..<min(start + batch, requests.count)]))
        }
        let next = TestBox(0)
        var outcomes = [SettlementOutcome?](repeating: nil, count: requests.count)
        try await withThrowingTaskGroup(of: [(Int, [SettlementOutcome])].self) { group in
            for _ in 0..<tasks {
                group.addTask {
                    var done: [(Int, [SettlementOutcome])] = []
                    while true {
                        let index = next.withLock { value -> Int in
                            defer { value += 1 }
                            return value
                        }
                        guard index < batches.count else { return done }
                        let (start, slice) = batches[index]
                        done.append((start, await engine.settle(slice)))
                    }
                }
            }
            for try await done in group {
                for (start, batchOutcomes) in done {
                    for (offset, outcome) in batchOutcomes.enumerated() { outcomes[start + offset] = outcome }
                }
            }
        }
        return outcomes.map { $0 ?? .retriable("missing") }
    }
}
