import Foundation
import RewardCore
import RewardSDK

/// Many concurrent callers of `sendBonus`, at full speed or paced to a total rate.
struct GrantPhase {
    struct Result {
        var count: Int
        var failures: Int
        var seconds: Double
        /// From each grant's start (paced: its scheduled start).
        var latencies: Latencies
        /// Paced only: from the moment the call was actually made, without the caller's lateness.
        var serviceLatencies: Latencies
        var rate: Double { Double(count) / seconds }
    }

    let client: RewardClient
    let grants: SampleGrants
    let callers: Int
    let prefix: String

    /// - Parameter pacedRate: grants per second over all callers (released by a ``PacedGate``);
    ///   `nil` runs flat out. Paced latency is measured from each grant's due time, so a grant
    ///   that waited for a free caller counts that wait too (no coordinated omission).
    func run(duration: Double, pacedRate: Double? = nil) async -> Result {
        let start = ContinuousClock.now
        let end = start + .milliseconds(Int(duration * 1000))
        let (client, grants, callers, prefix) = (self.client, self.grants, self.callers, self.prefix)
        let gate = pacedRate.map { PacedGate(rate: $0, start: start, end: end) }
        let parts = await withTaskGroup(of: (Int, Int, Latencies, Latencies).self) { group in
            for caller in 0..<callers {
                group.addTask {
                    var latencies = Latencies()
                    var service = Latencies()
                    var (count, failures) = (0, 0)
                    var n = caller
                    while true {
                        let began: ContinuousClock.Instant
                        if let gate {
                            guard let due = await gate.next() else { break }
                            began = due
                        } else {
                            guard ContinuousClock.now < end else { break }
                            began = ContinuousClock.now
                        }
                        let called = ContinuousClock.now
                        do {
                            _ = try await client.sendBonus(activity: grants.activity, user: grants.user(n), bonus: grants.bonus(n),
                                                           orderID: OrderID("\(prefix):\(n)"))
                            count += 1
                        } catch {
                            failures += 1
                        }
                        let finished = ContinuousClock.now
                        latencies.record(nanoseconds: Self.nanoseconds(finished - began))
                        service.record(nanoseconds: Self.nanoseconds(finished - called))
                        n += callers
                    }
                    return (count, failures, latencies, service)
                }
            }
            var total = (0, 0, Latencies(), Latencies())
            for await part in group {
                total.0 += part.0
                total.1 += part.1
                total.2.merge(part.2)
                total.3.merge(part.3)
            }
            return total
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Self.seconds(elapsed)
        return Result(count: parts.0, failures: parts.1, seconds: seconds, latencies: parts.2, serviceLatencies: parts.3)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func nanoseconds(_ duration: Duration) -> UInt64 {
        UInt64(max(0, duration.components.seconds)) * 1_000_000_000 + UInt64(max(0, duration.components.attoseconds / 1_000_000_000))
    }
}
