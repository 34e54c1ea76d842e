import Foundation

/// The lane consumers of a pace run as real `reward-consumer` processes (the binary next to this
/// one), each logging to its own file; stopped with SIGTERM, as a deploy would.
final class PaceFleet: @unchecked Sendable {
    private var processes: [(name: String, process: Process)] = []
    let logDirectory: URL

    init(logDirectory: URL) {
        self.logDirectory = logDirectory
    }

    static var consumerPath: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("reward-consumer").path
    }

    /// Starts one consumer of `topic` on `cluster`.
    func start(cluster: String, topic: String, instance: String, topicsDirectory: String, environment: [String: String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.consumerPath)
        process.arguments = ["--cluster", cluster, "--topic", topic, "--topics-directory", topicsDirectory, "--instance-id", instance,
                             "--metrics-port", "0"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let log = logDirectory.appendingPathComponent("\(instance).log")
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else { throw PaceError(message: "cannot create \(log.path)") }
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        processes.append((instance, process))
    }

    /// SIGTERM to every consumer, then waits (polling: Foundation's waitUntilExit spins) up to `limit`.
    /// - Returns: The names of consumers that did not exit 0.
    func stop(limit: Duration = .seconds(30)) async -> [String] {
        for (_, process) in processes where process.isRunning { process.terminate() }
        let deadline = ContinuousClock.now + limit
        while processes.contains(where: { $0.process.isRunning }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(100))
        }
        var failed: [String] = []
        for (name, process) in processes {
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                failed.append(name)
            } else if process.terminationStatus != 0 {
                failed.append(name)
            }
        }
        processes = []
        return failed
    }
}
