import RewardCore
import DequeModule
import Synchronization

/// One token bucket: a ``SliceSchedule`` at an effective rate, and the callers waiting for it.
///
/// Callers that find a permit due take it without suspending. The others queue (high priority
/// first, FIFO within a priority) and a pump task hands permits out at their slot times; the
/// pump only runs while someone waits. No lock is held while anybody waits, and each bucket has
/// its own lock and pump, so a slow type never delays another.
final class RateBucket: Sendable {
    struct Waiter {
        var id: UInt64
        var remaining: Int
        var continuation: CheckedContinuation<Int64?, Never>
    }

    private struct State {
        var configuredRate: Double
        var fleetShare = FleetShare.whole
        var overloadFactor: Double = 1
        var lastOverloadAt: Int64 = .min
        var lastRecoveryAt: Int64
        var schedule = SliceSchedule()
        var queues: [Deque<Waiter>] = [Deque(), Deque()]  // by RateLimitPriority.rawValue
        var nextWaiterID: UInt64 = 0
        var pumpGeneration: UInt64 = 0
        var pump: Task<Void, Never>?

        var hasWaiters: Bool { queues.contains { !$0.isEmpty } }

        mutating func milliRate(now: Int64, policy: RateLimitConfiguration.OverloadPolicy) -> Int64 {
            if overloadFactor < 1, now > lastRecoveryAt {
                let seconds = Double(now - lastRecoveryAt) / 1e9
                overloadFactor = min(1, overloadFactor + policy.recoveryPerSecond * seconds)
            }
            lastRecoveryAt = now
            let fraction = fleetShare.fraction(at: .now)
            var rate = configuredRate * fraction * overloadFactor
            // A part of a fleet takes whole permits per slice: at a fractional count per slice
            // (2,000/s over three instances: 66.7) every instance's schedule gives the extra permit
            // in the same slices, as they share the wall clock's slices, and three 67s made 201
            // in a slice of 200 (seen in reward-bench pace). Rounded down, the sum stays under.
            if fraction < 1, rate >= 10 { rate = (rate / 10).rounded(.down) * 10 }
            return SliceSchedule.milliRate(rate)
        }

        /// Hands due permits to the waiters at the head of the queues; returns who is done, with
        /// the slot time of their last permit.
        mutating func release(now: Int64, policy: RateLimitConfiguration.OverloadPolicy)
            -> (done: [(CheckedContinuation<Int64?, Never>, Int64)], nextAt: Int64?)
        {
            var done: [(CheckedContinuation<Int64?, Never>, Int64)] = []
            let rate = milliRate(now: now, policy: policy)
            while let priority = queues.firstIndex(where: { !$0.isEmpty }) {
                guard let slot = schedule.peek(notBefore: SliceSchedule.earliest(now: now), milliRate: rate) else {
                    return (done, nil)
                }
                guard slot.time <= now else { return (done, slot.time) }
                schedule.take(slot)
                queues[priority][queues[priority].startIndex].remaining -= 1
                if queues[priority][queues[priority].startIndex].remaining == 0, let waiter = queues[priority].popFirst() {
                    done.append((waiter.continuation, slot.time))
                }
            }
            return (done, nil)
        }
    }

    let name: String
    private let policy: RateLimitConfiguration.OverloadPolicy
    private let state: Mutex<State>

    init(name: String, rate: Double, policy: RateLimitConfiguration.OverloadPolicy) {
        self.name = name
        self.policy = policy
        self.state = Mutex(State(configuredRate: rate, lastRecoveryAt: WallClock.now()))
    }

    /// The rate now: configured × fleet share × overload factor, in permits per second.
    var effectiveRate: Double {
        state.withLock { state in
            Double(state.milliRate(now: WallClock.now(), policy: policy)) / 1000
        }
    }

    var configuredRate: Double { state.withLock { $0.configuredRate } }

    /// Waits for `permits` permits.
    /// - Returns: The slot time (wall clock, ns) of the last permit, or `nil` when the task was
    ///   cancelled first.
    func acquire(permits: Int, priority: RateLimitPriority) async -> Int64? {
        guard permits > 0 else { return WallClock.now() }
        if Task.isCancelled { return nil }
        // Fast path: nobody is waiting and the permits are due now.
        let (remaining, lastSlot) = state.withLock { state -> (Int, Int64) in
            let now = WallClock.now()
            guard !state.hasWaiters else { return (permits, now) }
            let rate = state.milliRate(now: now, policy: policy)
            var granted = 0
            var last = now
            while granted < permits, let slot = state.schedule.peek(notBefore: SliceSchedule.earliest(now: now), milliRate: rate),
                  slot.time <= now {
                state.schedule.take(slot)
                granted += 1
                last = slot.time
            }
            return (permits - granted, last)
        }
        guard remaining > 0 else { return lastSlot }

        let id = state.withLock { state -> UInt64 in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Int64?, Never>) in
                let cancelled = state.withLock { state -> Bool in
                    if Task.isCancelled { return true }
                    state.queues[priority.rawValue].append(Waiter(id: id, remaining: remaining, continuation: continuation))
                    if state.pump == nil { startPump(&state) }
                    return false
                }
                if cancelled { continuation.resume(returning: nil) }
            }
        } onCancel: {
            // Permits already counted for this waiter stay used: under the rate, never over.
            let continuation = state.withLock { state -> CheckedContinuation<Int64?, Never>? in
                for priority in state.queues.indices {
                    if let position = state.queues[priority].firstIndex(where: { $0.id == id }) {
                        return state.queues[priority].remove(at: position).continuation
                    }
                }
                return nil
            }
            continuation?.resume(returning: nil)
        }
    }

    /// Sets the configured rate; the next permit comes from the next slice.
    func setRate(_ rate: Double) {
        change { state in
            state.configuredRate = max(0, rate)
            return true
        }
    }

    /// Sets this process's share of the fleet-wide rate. A new expiry for the same fraction only
    /// extends it: closing the slice at every heartbeat would throw away permits.
    func setFleetShare(_ share: FleetShare) {
        change { state in
            defer { state.fleetShare = share }
            return state.fleetShare.fraction != share.fraction
        }
    }

    /// Slows down after an overload answer: factor × ``RateLimitConfiguration/OverloadPolicy/factor``,
    /// never below the floor; signals inside the debounce window count once.
    /// - Returns: Whether the signal changed the rate.
    @discardableResult
    func signalOverload() -> Bool {
        let now = WallClock.now()
        let debounce = Int64(policy.debounceMilliseconds) * 1_000_000
        var applied = false
        change { state in
            guard state.lastOverloadAt == .min || now - state.lastOverloadAt >= debounce else { return false }
            _ = state.milliRate(now: now, policy: policy)  // bring the recovery up to date first
            state.overloadFactor = max(policy.floor, state.overloadFactor * policy.factor)
            state.lastOverloadAt = now
            applied = true
            return true
        }
        return applied
    }

    /// Applies a rate change: closes the current slice (old and new rates never add up in one
    /// slice) and restarts the pump so a long sleep at the old rate does not delay the new one.
    /// `body` returns whether the rate changed; if not, nothing else happens.
    private func change(_ body: (inout State) -> Bool) {
        let old = state.withLock { state -> Task<Void, Never>? in
            guard body(&state) else { return nil }
            state.schedule.closeCurrentSlice(now: WallClock.now())
            guard state.pump != nil else { return nil }
            let old = state.pump
            startPump(&state)
            return old
        }
        old?.cancel()
    }

    private func startPump(_ state: inout State) {
        state.pumpGeneration += 1
        let generation = state.pumpGeneration
        state.pump = Task { [self] in await self.pump(generation: generation) }
    }

    private func pump(generation: UInt64) async {
        while true {
            let (done, sleep, stop) = state.withLock { state -> ([(CheckedContinuation<Int64?, Never>, Int64)], Int64, Bool) in
                guard state.pumpGeneration == generation else { return ([], 0, true) }
                let now = WallClock.now()
                let (done, nextAt) = state.release(now: now, policy: policy)
                guard state.hasWaiters else {
                    state.pump = nil
                    return (done, 0, true)
                }
                // No permit within the horizon (rate 0): look again in a slice.
                return (done, nextAt.map { max(0, $0 - now) } ?? WallClock.sliceNanoseconds, false)
            }
            for (continuation, slot) in done { continuation.resume(returning: slot) }
            if stop { return }
            do {
                try await Task.sleep(for: .nanoseconds(max(sleep, 50_000)))
            } catch {
                if state.withLock({ $0.pumpGeneration != generation }) { return }
            }
        }
    }
}
