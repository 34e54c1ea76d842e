public import DownstreamSimulator
import Foundation
import ServiceLifecycle

/// Runs a ``DownstreamSimulator`` on loopback for the duration of `body`.
public func withSimulator<T: Sendable>(
    knobs: SimulatorKnobs, port: Int = 0, _ body: (DownstreamSimulator, Int) async throws -> T
) async throws -> T {
    var configuration = DownstreamSimulator.Configuration()
    configuration.port = port
    configuration.knobs = knobs
    let simulator = DownstreamSimulator(configuration: configuration, logger: makeTestLogger("downstream-sim"))
    let group = ServiceGroup(services: [simulator], logger: makeTestLogger("downstream-sim-group"))
    let server = Task { try await group.run() }
    // A graceful shutdown closes the server's channels quietly (a cancellation logs errors).
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = await server.result
    }
    do {
        let bound = try await withDeadline(.seconds(10), "simulator listening") { try await simulator.waitUntilListening() }
        let result = try await body(simulator, bound)
        await stop()
        return result
    } catch {
        await stop()
        throw error
    }
}

