import CMariaDB
import Foundation

/// A dedicated thread that runs one connection's blocking libmariadb calls in submission order.
///
/// libmariadb blocks on network I/O, so none of its calls may run on Swift's cooperative pool.
/// Each connection owns one of these; ``run(_:)`` bridges a job to `async` with a continuation.
/// The thread calls `mysql_thread_init` / `mysql_thread_end` around its life.
final class BlockingExecutor: @unchecked Sendable {
    // @unchecked: `jobs` and `stopping` are only touched while `condition` is locked.
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var stopping = false
    private var head = 0

    init(name: String) {
        MariaDBLibrary.ensureInitialized()
        let thread = Thread { [self] in self.loop() }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Enqueues a job; jobs submitted after ``stop()`` still run before the thread ends.
    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Runs `body` on the executor thread and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            submit {
                continuation.resume(with: Result { try body() })
            }
        }
    }

    /// Lets the thread end once the queued jobs have run.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        _ = mysql_thread_init()
        defer { mysql_thread_end() }
        while true {
            condition.lock()
            while head == jobs.count && !stopping { condition.wait() }
            if head == jobs.count {  // stopping and drained
                condition.unlock()
                return
            }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            }
            condition.unlock()
            job()
        }
    }
}
