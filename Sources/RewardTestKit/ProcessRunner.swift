import Foundation

/// Runs one of our executables to completion and captures what it printed.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var output: String
    public var errorOutput: String
}

/// Runs `path` with `arguments` and waits for it, on threads of its own: reading pipes and
/// waiting for exit block, and blocking Swift's cooperative pool (two threads here) would stall
/// every other test in the process until the child exits.
public func runExecutable(
    _ path: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil
) async throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let errorData = TestBox(Data())
    let errorRead = DispatchSemaphore(value: 0)
    return await withCheckedContinuation { continuation in
        Thread {
            errorData.withLock { $0 = errors.fileHandleForReading.readDataToEndOfFile() }
            errorRead.signal()
        }.start()
        Thread {
            let outData = output.fileHandleForReading.readDataToEndOfFile()
            // Not waitUntilExit: it spins a run loop at 100% CPU on a thread that has none.
            while process.isRunning { Thread.sleep(forTimeInterval: 0.01) }
            errorRead.wait()
            continuation.resume(returning: ProcessResult(
                status: process.terminationStatus,
                output: String(decoding: outData, as: UTF8.self),
                errorOutput: String(decoding: errorData.value, as: UTF8.self)))
        }.start()
    }
}
