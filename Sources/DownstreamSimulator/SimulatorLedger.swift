import Foundation
import Synchronization

/// The simulated downstream's books: what it credited (idempotent by key), how many requests each
/// 100 ms slice admitted, and the knobs that shape its behaviour.
final class SimulatorLedger: Sendable {
    /// What one `POST /credits` gets.
    enum Decision: Sendable, Equatable {
        case accepted(reference: String)
        case duplicate(reference: String)
        case keyReused
        case tooManyRequests
        case injectedError
    }

    struct Credit: Sendable, Equatable {
        var reference: String
        var fingerprint: String
    }

    private struct State {
        var knobs: SimulatorKnobs
        var credits: [String: Credit] = [:]
        var accepted = 0
        var duplicates = 0
        var keyReused = 0
        var rejected = 0
        var injectedErrors = 0
        var invalid = 0
        var sliceCounts: [Int64: Int] = [:]
        var maxPerSlice = 0
        /// Admitted requests by the slice of the sender's `X-Reward-Paced-At`: what the sender paced.
        var pacedSliceCounts: [Int64: Int] = [:]
        var maxPerPacedSlice = 0
        var maxTransitMilliseconds: Int64 = 0
        var pacedBySkewedSenders = 0
        var nextReference = 0
    }

    private let state: Mutex<State>
    let historySlices: Int

    init(knobs: SimulatorKnobs, historySlices: Int) {
        state = Mutex(State(knobs: knobs))
        self.historySlices = max(1, historySlices)
    }

    var knobs: SimulatorKnobs { state.withLock { $0.knobs } }

    /// Applies the changes a `POST /control` asked for; returns the knobs now.
    func update(_ control: SimulatorControl) -> SimulatorKnobs {
        state.withLock { state in
            if let capacity = control.capacityPerSlice { state.knobs.capacityPerSlice = max(0, capacity) }
            if let latency = control.latencyMs { state.knobs.latencyMilliseconds = max(0, latency) }
            if let errorRate = control.errorRate { state.knobs.errorRate = min(1, max(0, errorRate)) }
            if let offsets = control.senderClockOffsetsMs {
                state.knobs.senderClockOffsetsMilliseconds = Array(offsets.prefix(SimulatorControl.maximumOffsets))
            }
            return state.knobs
        }
    }

    /// Admits one credit in the slice of `nowMilliseconds`, then credits it once per key.
    /// - Parameter pacedMilliseconds: The sender's `X-Reward-Paced-At`, when it sent one (range-checked
    ///   by the caller: within a minute of `nowMilliseconds`).
    ///   - fromSkewedSender: The stamp was read with a declared sender clock offset.
    func submit(orderID: String, fingerprint: String, nowMilliseconds: Int64, pacedMilliseconds: Int64? = nil,
                fromSkewedSender: Bool = false) -> Decision {
        let slice = nowMilliseconds / 100
        return state.withLock { state in
            let count = state.sliceCounts[slice, default: 0]
            guard count < state.knobs.capacityPerSlice else {
                state.rejected += 1
                return .tooManyRequests
            }
            state.sliceCounts[slice] = count + 1
            state.maxPerSlice = max(state.maxPerSlice, count + 1)
            if let sent = pacedMilliseconds {
                let pacedCount = state.pacedSliceCounts[sent / 100, default: 0] + 1
                state.pacedSliceCounts[sent / 100] = pacedCount
                state.maxPerPacedSlice = max(state.maxPerPacedSlice, pacedCount)
                state.maxTransitMilliseconds = max(state.maxTransitMilliseconds, nowMilliseconds - sent)
                if fromSkewedSender { state.pacedBySkewedSenders += 1 }
            }
            if state.sliceCounts.count > historySlices * 2 {
                let oldest = slice - Int64(historySlices)
                state.sliceCounts = state.sliceCounts.filter { $0.key > oldest }
                state.pacedSliceCounts = state.pacedSliceCounts.filter { $0.key > oldest - 600 }
            }
            if state.knobs.errorRate > 0, Double.random(in: 0..<1) < state.knobs.errorRate {
                state.injectedErrors += 1
                return .injectedError
            }
            if let existing = state.credits[orderID] {
                guard existing.fingerprint == fingerprint else {
                    state.keyReused += 1
                    return .keyReused
                }
                state.duplicates += 1
                return .duplicate(reference: existing.reference)
            }
            state.nextReference += 1
            let reference = "sim-\(state.nextReference)"
            state.credits[orderID] = Credit(reference: reference, fingerprint: fingerprint)
            state.accepted += 1
            return .accepted(reference: reference)
        }
    }

    /// Counts a request that could not be read (no key, bad JSON).
    func recordInvalid() {
        state.withLock { $0.invalid += 1 }
    }

    /// The counters and the last `historySlices` slices.
    /// Distinct order ids credited whose id starts with `prefix`: one campaign's share of the books
    /// (scenario order ids begin with the activity, e.g. `rain:<activity>:`).
    func creditedCount(orderPrefix prefix: String) -> Int {
        state.withLock { state in state.credits.keys.reduce(0) { $0 + ($1.hasPrefix(prefix) ? 1 : 0) } }
    }

    /// The credited order ids that start with `prefix` (each credited once: the books are keyed by it).
    func creditedOrderIDs(orderPrefix prefix: String) -> Set<String> {
        state.withLock { state in Set(state.credits.keys.filter { $0.hasPrefix(prefix) }) }
    }

    func stats() -> SimulatorStats {
        state.withLock { state in
            let newest = state.sliceCounts.keys.max() ?? 0
            let slices = state.sliceCounts
                .filter { $0.key > newest - Int64(historySlices) }
                .sorted { $0.key < $1.key }
                .map { SimulatorStats.Slice(slice: $0.key, count: $0.value) }
            return SimulatorStats(
                accepted: state.accepted, distinctOrderIds: state.credits.count, duplicates: state.duplicates,
                keyReused: state.keyReused, rejected429: state.rejected, injectedErrors: state.injectedErrors,
                invalid: state.invalid, capacityPerSlice: state.knobs.capacityPerSlice, maxPerSlice: state.maxPerSlice,
                maxPerPacedSlice: state.maxPerPacedSlice, maxTransitMilliseconds: state.maxTransitMilliseconds,
                pacedBySkewedSenders: state.pacedBySkewedSenders, slices: slices)
        }
    }
}
