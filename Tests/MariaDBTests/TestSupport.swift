import MariaDB
import RewardTestKit
import Synchronization
import Testing

/// Runs `body` with a pool on a fresh database of the ops/test server; drops it afterwards.
func withTestPool<T>(
    _ prefix: String,
    maxConnections: Int = 8,
    configure: (inout MariaDBConfiguration) -> Void = { _ in },
    _ body: (MariaDBPool, TestDatabase) async throws -> T
) async throws -> T {
    let database = try await TestMariaDB.makeDatabase(prefix: prefix)
    var configuration = database.configuration
    configuration.pool.maxConnections = maxConnections
    configure(&configuration)
    let pool = MariaDBPool(configuration: configuration, logger: TestMariaDB.quietLogger)
    do {
        let result = try await body(pool, database)
        await pool.shutdown()
        try await database.drop()
        return result
    } catch {
        await pool.shutdown()
        try? await database.drop()
        throw error
    }
}

/// Runs `operation` until it succeeds (at most `attempts` times), collecting the errors it threw.
func retrying<T>(
    attempts: Int,
    _ operation: () async throws -> T
) async throws -> (value: T, errors: [MariaDBError]) {
    var errors: [MariaDBError] = []
    while true {
        do {
            return (try await operation(), errors)
        } catch let error as MariaDBError where errors.count + 1 < attempts {
            errors.append(error)
        }
    }
}

/// A one-shot signal between two tasks.
struct Signal<Value: Sendable>: Sendable {
    private let stream: AsyncStream<Value>
    private let continuation: AsyncStream<Value>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: Value.self)
    }

    func send(_ value: Value) {
        continuation.yield(value)
        continuation.finish()
    }

    func wait() async -> Value? {
        for await value in stream { return value }
        return nil
    }
}

struct Boom: Error, Equatable {}

/// The outcome of `body` as a value, so two concurrent bodies can both be inspected.
func capture(_ body: () async throws -> Void) async -> Result<Void, any Error> {
    do {
        try await body()
        return .success(())
    } catch {
        return .failure(error)
    }
}

/// A value shared between concurrent test tasks.
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) {
        mutex = Mutex(value)
    }

    func update(_ body: @Sendable (inout Value) -> Void) {
        mutex.withLock { body(&$0) }
    }

    var value: Value { mutex.withLock { $0 } }
}
