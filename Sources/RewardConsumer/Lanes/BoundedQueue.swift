import Synchronization

/// A bounded FIFO with any number of waiting takers: offers beyond the bound are refused, so
/// memory stays bounded and the caller decides what backpressure means (pause, or park elsewhere).
/// Takers are served in the order they started waiting; ``finish()`` wakes every one of them.
final class BoundedQueue<Element: Sendable>: Sendable {
    private struct State {
        var items: [Element] = []
        var head = 0
        var waiters: [CheckedContinuation<Element?, Never>] = []
        var finished = false
        var count: Int { items.count - head }
    }

    private enum OfferAction { case refused, queued, handOff(CheckedContinuation<Element?, Never>) }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var count: Int { state.withLock { $0.count } }
    var isFull: Bool { state.withLock { $0.count >= capacity } }
    var isFinished: Bool { state.withLock { $0.finished } }

    /// Adds `element` unless the queue is full (or `force`, for records already counted in flight).
    func offer(_ element: Element, force: Bool = false) -> Bool {
        let action: OfferAction = state.withLock { state in
            guard !state.finished, force || state.count < capacity else { return .refused }
            if !state.waiters.isEmpty {
                return .handOff(state.waiters.removeFirst())
            }
            state.items.append(element)
            return .queued
        }
        switch action {
        case .refused: return false
        case .queued: return true
        case .handOff(let waiter):
            waiter.resume(returning: element)
            return true
        }
    }

    /// Waits for the next element; `nil` once finished and empty.
    func take() async -> Element? {
        await withCheckedContinuation { continuation in
            let immediate: Element?? = state.withLock { state in
                if state.count > 0 {
                    defer { state.head += 1; compact(&state) }
                    return .some(state.items[state.head])
                }
                if state.finished { return .some(nil) }
                state.waiters.append(continuation)
                return nil
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
    }

    /// Takes up to `limit` elements that are already queued, without waiting.
    func takeAvailable(_ limit: Int) -> [Element] {
        state.withLock { state in
            let taken = Array(state.items[state.head..<state.head + min(limit, state.count)])
            state.head += taken.count
            compact(&state)
            return taken
        }
    }

    /// No more offers; every waiting taker gets `nil`. Queued elements are returned (not settled).
    @discardableResult
    func finish() -> [Element] {
        let (waiters, left): ([CheckedContinuation<Element?, Never>], [Element]) = state.withLock { state in
            state.finished = true
            let left = Array(state.items[state.head...])
            state.items.removeAll()
            state.head = 0
            defer { state.waiters.removeAll() }
            return (state.waiters, left)
        }
        for waiter in waiters { waiter.resume(returning: nil) }
        return left
    }

    private func compact(_ state: inout State) {
        if state.head > 1024, state.head * 2 > state.items.count {
            state.items.removeFirst(state.head)
            state.head = 0
        }
    }
}
