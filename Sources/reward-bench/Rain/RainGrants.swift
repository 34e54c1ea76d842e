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

        mutating func add(_ drop: RainPlan.Drop) {
            count[drop.rewardType, default: 0] += 1
            amount[drop.rewardType, default: 0] += drop.amount
        }

        mutating func merge(_ other: Totals) {
            count.merge(other.count, uniquingKeysWith: +)
            amount.merge(other.amount, uniquingKeysWith: +)
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

    let plan: RainPlan
    let client: RewardClient
    private let next = Atomic<Int>(0)
    let granted = Atomic<Int>(0)
    let failed = Atomic<Int>(0)

    init(plan: RainPlan, client: RewardClient) {
        self.plan = plan
        self.client = client
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
                      seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
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
            guard let facade = facades[drop.rewardType] else { continue }
            var accepted = false
            for attempt in 0..<(plan.isRetried(index) ? 2 : 1) {
                let began = ContinuousClock.now
                calls += 1
                if attempt > 0 { retries += 1 }
                do {
                    _ = try await facade.grant(round: drop.round, user: drop.user, dropIndex: drop.index, amount: drop.amount,
                                               extensions: ["round": String(drop.round)])
                    accepted = true
                } catch {
                    failures[error.code.rawValue, default: 0] += 1
                }
                latencies.record(nanoseconds: GrantPhase.nanoseconds(ContinuousClock.now - began))
            }
            if accepted {
                totals.add(drop)
                granted.add(1, ordering: .relaxed)
            } else {
                failed.add(1, ordering: .relaxed)
            }
        }
        return (totals, calls, retries, failures, latencies)
    }
}
