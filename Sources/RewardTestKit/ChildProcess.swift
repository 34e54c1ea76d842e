import Foundation

/// A child process the test talks to while it runs: its standard output arrives line by line
/// as an `AsyncStream`, and it can be signalled (SIGKILL for a crash) and awaited.
///
/// Every blocking part (reading the pipes, waiting for exit) runs on threads of its own, never
/// on Swift's cooperative pool.
public final class ChildProcess: @unchecked Sendable {
    // `Process` is not `Sendable`; it is only started here and then signalled and awaited,
    // which Foundation allows from any thread.
    private let process: Process
    private let errors = TestBox(Data())
    private let errorsRead = DispatchSemaphore(value: 0)
    /// Each line the child writes to standard output, without its newline; ends at EOF.
    public let lines: AsyncStream<String>

    /// Starts `path` with `arguments`; the environment is this process's plus `environment`.
    /// - Throws: when the executable cannot be started.
    public init(_ path: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let output = Pipe()
        let errorPipe = Pipe()
        process.standardOutput = output
        process.standardError = errorPipe
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        self.lines = lines
        self.process = process
        try process.run()

        let reader = Thread {
            var pending = Data()
            while true {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    continuation.yield(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                    pending.removeSubrange(pending.startIndex...newline)
                }
            }
            if !pending.isEmpty { continuation.yield(String(decoding: pending, as: UTF8.self)) }
            continuation.finish()
        }
        reader.name = "child-stdout"
        reader.start()
        let (errors, errorsRead) = (self.errors, self.errorsRead)
        let errorReader = Thread {
            let data = errorPipe.fileHandleForReading.readDataToEndOfFile()
            errors.withLock { $0 = data }
            errorsRead.signal()
        }
        errorReader.name = "child-stderr"
        errorReader.start()
    }

    /// A test that fails (throws) before it stops its child must not leave it running: seen as
    /// two consumers still polling the clusters an hour after a failed fleet-rate test.
    deinit {
        if process.isRunning { _ = kill(process.processIdentifier, SIGKILL) }
    }

    public var processIdentifier: Int32 { process.processIdentifier }

    /// Sends `signal` (for example `SIGKILL`) to the child.
    public func send(signal: Int32) {
        _ = kill(process.processIdentifier, signal)
    }

    /// Waits for the child to exit and returns its status and what it wrote to standard error.
    ///
    /// A child still running after `limit` is killed (SIGKILL) and its status reported as such, so a
    /// process that ignores SIGTERM fails its test instead of hanging the run. Polls `isRunning`:
    /// Foundation's `waitUntilExit` spins a run loop at 100% CPU on a thread that has none.
    public func waitForExit(limit: Duration = .seconds(120)) async -> (status: Int32, errorOutput: String) {
        let (process, errors, errorsRead) = (self.process, self.errors, self.errorsRead)
        return await withCheckedContinuation { continuation in
            let waiter = Thread {
                let deadline = ContinuousClock.now + limit
                while process.isRunning {
                    if ContinuousClock.now > deadline {
                        _ = kill(process.processIdentifier, SIGKILL)
                        while process.isRunning { Thread.sleep(forTimeInterval: 0.02) }
                        break
                    }
                    Thread.sleep(forTimeInterval: 0.02)
                }
                errorsRead.wait()
                continuation.resume(returning: (process.terminationStatus, String(decoding: errors.value, as: UTF8.self)))
            }
            waiter.name = "child-wait"
            waiter.start()
        }
    }
}
