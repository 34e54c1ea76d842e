import Dispatch
import Foundation
import HeapModule
import Synchronization

/// Ends delivery attempts whose deadline has passed, from one dedicated thread.
///
/// One heap and one thread for the whole client instead of a timer task per grant: a grant costs
/// one heap insertion under a lock, and the thread sleeps until the earliest deadline. Entries of
/// attempts that already finished stay in the heap until their deadline and are then dropped.
final class DeadlineScheduler: Sendable {
    private struct Entry: Comparable {
        let deadline: UInt64
        let sequence: UInt64
        let work: any Expirable

        static func < (lhs: Entry, rhs: Entry) -> Bool {
            (lhs.deadline, lhs.sequence) < (rhs.deadline, rhs.sequence)
        }

        static func == (lhs: Entry, rhs: Entry) -> Bool {
            lhs.deadline == rhs.deadline && lhs.sequence == rhs.sequence
        }
    }

    private struct State {
        var heap = Heap<Entry>()
        var sequence: UInt64 = 0
        /// The deadline the thread sleeps until (`.max`: until woken); an earlier entry wakes it.
        var sleepingUntil: UInt64?
        var stopped = false
    }

    private enum Step {
        case sleep(until: UInt64?)
        case stop
    }

    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    /// How late a deadline may fire: the price of batching expirations.
    static let resolution: UInt64 = 1_000_000

    init(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    /// Calls `work.expire()` once the monotonic clock passes `deadline` (nanoseconds).
    func schedule(_ work: any Expirable, deadline: UInt64) {
        let (signal, stopped) = state.withLock { state -> (Bool, Bool) in
            guard !state.stopped else { return (false, true) }
            state.sequence &+= 1
            state.heap.insert(Entry(deadline: deadline, sequence: state.sequence, work: work))
            guard let sleepingUntil = state.sleepingUntil, deadline &+ Self.resolution < sleepingUntil else { return (false, false) }
            state.sleepingUntil = nil
            return (true, false)
        }
        if signal { wake.signal() }
        // After stop nothing would ever expire this work: end it now.
        if stopped { work.expire() }
    }

    /// Makes the thread expire everything still pending and end; returns without waiting for it.
    func stop() {
        let first = state.withLock { state -> Bool in
            defer { state.stopped = true }
            return !state.stopped
        }
        if first { wake.signal() }
    }

    private func run() {
        while true {
            let now = MonotonicClock.now()
            var due: [any Expirable] = []
            let step = state.withLock { state -> Step in
                if state.stopped {
                    while let entry = state.heap.popMin() { due.append(entry.work) }
                    return .stop
                }
                while let first = state.heap.min, first.deadline <= now {
                    due.append(state.heap.removeMin().work)
                }
                let next = state.heap.min?.deadline
                state.sleepingUntil = next ?? .max
                return .sleep(until: next)
            }
            for work in due { work.expire() }
            switch step {
            case .stop:
                return
            case .sleep(let until):
                if let until {
                    // At least a millisecond: under load a deadline falls due every few
                    // microseconds, and waking for each would cost a context switch per grant.
                    let delay = until > now ? until - now : 0
                    _ = wake.wait(timeout: .now() + .nanoseconds(Int(min(max(delay, Self.resolution), 1_000_000_000))))
                } else {
                    wake.wait()
                }
            }
        }
    }
}
