import ArgumentParser
import DownstreamSimulator
import Foundation
import Logging
import ServiceLifecycle

struct DownstreamSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "downstream-sim",
        abstract: "Serve a simulated slow third-party ledger over HTTP until stopped.",
        discussion: """
            POST /credits (Idempotency-Key, JSON {orderId, userId, rewardType, amount, unit}) is admitted up to
            --capacity-per-slice per 100 ms wall-clock slice (429 beyond), answered after --latency-ms, failed
            with 500 at --error-rate, and credited once per key (409 with the same reference on a repeat).
            POST /control {capacityPerSlice?, latencyMs?, errorRate?} changes the knobs live; GET /stats
            returns the counters and the per-slice histogram. Prints the bound port; stop with SIGTERM or Ctrl-C.
            """)

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port).")
    var port = 0

    @Option(help: "Requests admitted per 100 ms slice; the rest get 429.")
    var capacityPerSlice = 100

    @Option(help: "Latency added to every admitted request, in milliseconds.")
    var latencyMs = 0

    @Option(help: "Fraction (0...1) of admitted requests answered 500 without crediting.")
    var errorRate = 0.0

    @Option(help: "Slices kept in the /stats histogram.")
    var historySlices = 600

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard capacityPerSlice >= 0, latencyMs >= 0, historySlices > 0 else {
            throw ValidationError("--capacity-per-slice and --latency-ms must be >= 0, --history-slices > 0")
        }
        guard (0...1).contains(errorRate) else { throw ValidationError("--error-rate must be within 0...1") }
    }

    func run() async throws {
        let context = try await CommandContext.make(label: "downstream-sim")
        var configuration = DownstreamSimulator.Configuration()
        configuration.host = host
        configuration.port = port
        configuration.historySlices = historySlices
        configuration.knobs = SimulatorKnobs(capacityPerSlice: capacityPerSlice, latencyMilliseconds: latencyMs, errorRate: errorRate)
        let simulator = DownstreamSimulator(configuration: configuration, logger: context.logger)
        let group = ServiceGroup(services: [simulator], gracefulShutdownSignals: [.sigterm, .sigint], logger: context.logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let bound = try await simulator.waitUntilListening()
            // Unbuffered, so a parent process reading the pipe sees the port at once.
            FileHandle.standardOutput.write(Data("downstream-sim: listening on \(host):\(bound)\n".utf8))
            try await tasks.waitForAll()
        }
        let stats = simulator.stats
        print("downstream-sim: stopped; accepted \(stats.accepted), duplicates \(stats.duplicates), 429s \(stats.rejected429)")
    }
}
