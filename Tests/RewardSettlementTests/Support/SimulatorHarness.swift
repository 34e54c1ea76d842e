import AsyncHTTPClient
import DownstreamSimulator
import Foundation
import NIOCore
import RewardTestKit
import ServiceLifecycle

/// Runs a ``DownstreamSimulator`` on loopback for the duration of `body`.
func withSimulator<T: Sendable>(
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

/// A plain HTTP exchange with the simulator, for tests that speak to it directly.
struct SimpleResponse: Sendable {
    var status: Int
    var body: [String: String]
    var headers: [String: String]
}

func post(_ url: String, json: String, headers: [String: String] = [:]) async throws -> SimpleResponse {
    var request = HTTPClientRequest(url: url)
    request.method = .POST
    request.headers.add(name: "Content-Type", value: "application/json")
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    request.body = .bytes(ByteBuffer(string: json))
    return try await exchange(request)
}

func get(_ url: String) async throws -> (status: Int, data: Data) {
    let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
    let bytes = try await response.body.collect(upTo: 4 << 20)
    return (Int(response.status.code), Data(bytes.readableBytesView))
}

private func exchange(_ request: HTTPClientRequest) async throws -> SimpleResponse {
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
    let bytes = try await response.body.collect(upTo: 1 << 20)
    let object = (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any] ?? [:]
    var headers: [String: String] = [:]
    for header in response.headers { headers[header.name.lowercased()] = header.value }
    return SimpleResponse(status: Int(response.status.code), body: object.compactMapValues { $0 as? String }, headers: headers)
}
