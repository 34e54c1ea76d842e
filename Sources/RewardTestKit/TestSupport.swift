import Synchronization

/// A mutex-protected value tests can share between tasks and callbacks.
public final class TestBox<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    public init(_ value: Value) { mutex = Mutex(value) }

    public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        try mutex.withLock { try body(&$0) }
    }

    public var value: Value { mutex.withLock { $0 } }
}

/// Thrown by ``withDeadline(_:_:)`` when the body takes too long.
public struct DeadlineExceeded: Error, CustomStringConvertible {
    public let what: String

    public init(what: String) { self.what = what }
    public var description: String { "deadline exceeded: \(what)" }
}

/// Runs `body`, failing with ``DeadlineExceeded`` after `limit`, so a hung wait fails a test
/// instead of hanging the whole run.
public func withDeadline<T: Sendable>(
    _ limit: Duration, _ what: String = "operation", _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        guard let first = try await group.next(), let value = first else {
            group.cancelAll()
            throw DeadlineExceeded(what: what)
        }
        group.cancelAll()
        return value
    }
}

/// Polls `condition` every `interval` until it holds or `limit` passes.
public func eventually(
    _ limit: Duration, interval: Duration = .milliseconds(50), _ what: String = "condition",
    _ condition: @Sendable () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: interval)
    }
    throw DeadlineExceeded(what: what)
}
