import Foundation
import RewardCore
import RewardSDK
import Synchronization

/// The rain's callers: each takes the next drop, grants it through the scenario facade (and again
/// when the plan retries it), and keeps what it was answered. Counters are atomics so the progress
/// line can read them while the callers run.
final class RainGrants: Sendable {
    /// Accepted grants by reward type: distinct drops and the sum of their amounts.
    struct Totals: Sendable {
        var count: [String: Int] = [:]
        var amount: [String: Int64] = [:]
        /// Every accepted order id and its drop number, for the books check order by order.
        var orders: [String: Int] = [:]

        mutating func add(_ drop: RainPlan.Drop, orderID: String) {
            count[drop.rewardType, default: 0] += 1
            amount[drop.rewardType, default: 0] += drop.amount
            orders[orderID] = drop.index
        }

        mutating func merge(_ other: Totals) {
            count.merge(other.count, uniquingKeysWith: +)
            amount.merge(other.amount, uniquingKeysWith: +)
            orders.merge(other.orders) { first, _ in first }
        }
    }

    struct Result: Sendable {
        var accepted: Totals
        var calls: Int
        var retries: Int
        var failures: [String: Int]
        var seconds: Double
        var latencies: Latencies
    }

    /// How long a client keeps retrying a grant answered `not_durable` (backoff 20 ms doubling to
    /// 500 ms): until it gets an answer that says what happened. Giving up after a few tries left a
    /// grant that landed anyway credited but never counted as granted (seen at 20,000 grants).
    static let notDurableFor: Duration = .seconds(60)

    let plan: RainPlan
    let client: RewardClient
    /// The users' wallet reads and withdrawals between catches; nil: catches only.
    let wallets: RainWallets?
    private let next = Atomic<Int>(0)
    let granted = Atomic<Int>(0)
    let failed = Atomic<Int>(0)

    init(plan: RainPlan, client: RewardClient, wallets: RainWallets?) {
        self.plan = plan
        self.client = client
        self.wallets = wallets
    }

    func run(callers: Int) async -> Result {
        let start = ContinuousClock.now
        let facades = Dictionary(uniqueKeysWithValues: RainPlan.mix.map {
            ($0.type, RedEnvelopeRain(client: client, activityID: plan.activityID, rewardType: $0.type))
        })
        let parts = await withTaskGroup(of: (Totals, Int, Int, [String: Int], Latencies).self) { group in
            for _ in 0..<callers {
                group.addTask { await self.caller(facades) }
            }
            var total = (Totals(), 0, 0, [String: Int](), Latencies())
            for await part in group {
                total.0.merge(part.0)
                total.1 += part.1
                total.2 += part.2
                total.3.merge(part.3, uniquingKeysWith: +)
                total.4.merge(part.4)
            }
            return total
        }
        let elapsed = ContinuousClock.now - start
        return Result(accepted: parts.0, calls: parts.1, retries: parts.2, failures: parts.3,
                      seconds: GrantPhase.seconds(elapsed),
                      latencies: parts.4)
    }

    private func caller(_ facades: [String: RedEnvelopeRain]) async -> (Totals, Int, Int, [String: Int], Latencies) {
        var totals = Totals()
        var latencies = Latencies()
        var failures: [String: Int] = [:]
        var (calls, retries) = (0, 0)
        while true {
            let index = next.add(1, ordering: .relaxed).oldValue
            guard index < plan.drops else { break }
            let drop = plan.drop(index)
            guard let facade = facades[drop.rewardType],
                  let orderID = try? RedEnvelopeRain.orderID(activityID: plan.activityID, round: drop.round, userID: drop.user.id,
                                                              dropIndex: drop.index)
            else { continue }
            var accepted: RewardToken?
            var (attempt, attempts, notDurable) = (0, plan.isRetried(index) ? 2 : 1, 0)
            let first = ContinuousClock.now
            while attempt < attempts {
                let began = ContinuousClock.now
                calls += 1
                if attempt > 0 { retries += 1 }
                do {
                    let token = try await facade.grant(round: drop.round, user: drop.user, dropIndex: drop.index, amount: drop.amount,
                                                       extensions: ["round": String(drop.round)])
                    if accepted == nil { accepted = token }
                } catch {
                    failures[error.code.rawValue, default: 0] += 1
                    // `not_durable` may still land, so the grant is neither accepted nor refused: a
                    // client retries it with the same order id (Outcomes.md). Without this, a landed
                    // one is credited but never counted as granted, and the books differ.
                    if error.code == .notDurable, accepted == nil, ContinuousClock.now - first < Self.notDurableFor {
                        attempts = max(attempts, attempt + 2)
                        try? await Task.sleep(for: .milliseconds(min(500, 20 << min(notDurable, 5))))
                        notDurable += 1
                    }
                }
                latencies.record(nanoseconds: GrantPhase.nanoseconds(ContinuousClock.now - began))
                attempt += 1
            }
            if let accepted {
                totals.add(drop, orderID: orderID.rawValue)
                granted.add(1, ordering: .relaxed)
                wallets?.caught(drop, orderID: orderID.rawValue, token: accepted.encoded)
            } else {
                failed.add(1, ordering: .relaxed)
            }
        }
        return (totals, calls, retries, failures, latencies)
    }
}
