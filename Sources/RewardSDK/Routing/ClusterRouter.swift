import Synchronization

/// Picks the cluster for each attempt: weighted round robin over the clusters whose breaker
/// admits traffic, skipping the ones already tried for this grant.
final class ClusterRouter: Sendable {
    /// The right to send one attempt to one cluster; report its result exactly once.
    struct Permit: Sendable, Equatable {
        let cluster: Int
        let probe: Bool
    }

    typealias Transition = @Sendable (_ cluster: Int, _ level: ClusterHealth.Level) -> Void

    private let health: Mutex<[ClusterHealth]>
    /// Slot → preferred cluster, expanded from the weights (weight 2:1 → [0, 0, 1]).
    private let slots: [Int]
    private let counter = Atomic<UInt64>(0)
    private let onTransition: Transition

    /// - Parameters:
    ///   - weights: one per cluster, ≥ 0, at least one > 0; reduced by their greatest common divisor.
    init(weights: [Int], policy: ClusterHealth.Policy, onTransition: @escaping Transition) {
        self.health = Mutex(Array(repeating: ClusterHealth(policy: policy), count: weights.count))
        let divisor = weights.filter { $0 > 0 }.reduce(0, Self.gcd)
        var slots: [Int] = []
        for (index, weight) in weights.enumerated() where weight > 0 {
            slots += Array(repeating: index, count: weight / max(divisor, 1))
        }
        // Interleave so that 3:1 sends A, A, B, A rather than bursts; order is all that matters.
        self.slots = slots.isEmpty ? Array(weights.indices) : Self.interleave(slots)
        self.onTransition = onTransition
    }

    var clusterCount: Int { health.withLock { $0.count } }

    /// The cluster for the next attempt, or `nil` when every cluster not in `excluding` refuses.
    /// - Parameter excluding: bit `i` set: cluster `i` was already tried for this grant.
    func route(excluding: UInt64 = 0, now: UInt64 = MonotonicClock.now()) -> Permit? {
        let preferred = slots[Int(counter.wrappingAdd(1, ordering: .relaxed).oldValue % UInt64(slots.count))]
        let permit = health.withLock { health -> Permit? in
            for offset in 0..<health.count {
                let index = (preferred + offset) % health.count
                guard excluding & (1 << UInt64(index)) == 0 else { continue }
                switch health[index].admit(now: now) {
                case .refused: continue
                case .normal: return Permit(cluster: index, probe: false)
                case .probe: return Permit(cluster: index, probe: true)
                }
            }
            return nil
        }
        // A probe admission is the open → half-open transition.
        if let permit, permit.probe { onTransition(permit.cluster, .probing) }
        return permit
    }

    /// Records the result of an attempt made under `permit`.
    func report(_ permit: Permit, success: Bool, now: UInt64 = MonotonicClock.now()) {
        let changed = health.withLock { health in
            var rival: Double?
            for index in health.indices where index != permit.cluster && health[index].isInRotation {
                rival = max(rival ?? 0, health[index].inTimeShare)
            }
            return health[permit.cluster].record(success: success, probe: permit.probe, now: now, rival: rival)
        }
        if let changed { onTransition(permit.cluster, changed) }
    }

    /// An acknowledgement from `cluster` after its attempt was already reported: it is alive.
    func acknowledged(_ cluster: Int, now: UInt64 = MonotonicClock.now()) {
        health.withLock { $0[cluster].acknowledged(now: now) }
    }

    /// Gives back a permit that was never used.
    func release(_ permit: Permit, now: UInt64 = MonotonicClock.now()) {
        guard permit.probe else { return }
        health.withLock { $0[permit.cluster].returnProbe(now: now) }
    }

    func level(_ cluster: Int) -> ClusterHealth.Level {
        health.withLock { $0[cluster].level }
    }

    private static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

    /// Spreads each cluster's slots evenly (by their position i/n within its own count).
    private static func interleave(_ slots: [Int]) -> [Int] {
        let counts = Dictionary(grouping: slots, by: { $0 }).mapValues(\.count)
        var keyed: [(Double, Int)] = []
        for (cluster, count) in counts {
            for i in 0..<count { keyed.append(((Double(i) + 0.5) / Double(count), cluster)) }
        }
        return keyed.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.1)
    }
}
