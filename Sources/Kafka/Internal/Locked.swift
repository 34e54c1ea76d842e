import Synchronization

/// A mutex-protected value that closures and C callbacks can share by reference.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        try mutex.withLock { try body(&$0) }
    }
}

/// A boolean that closures can share by reference (an `Atomic` itself cannot be captured).
final class AtomicFlag: Sendable {
    private let value = Atomic<Bool>(false)

    var isSet: Bool { value.load(ordering: .sequentiallyConsistent) }

    func set() { value.store(true, ordering: .sequentiallyConsistent) }

    /// Sets the flag; returns whether it was already set.
    func testAndSet() -> Bool { value.exchange(true, ordering: .sequentiallyConsistent) }
}
