import AsyncHTTPClient
import Foundation
import NIOCore

/// Reads the configured daemons' `/metrics`, all at once, each within a short timeout: a daemon
/// that hangs makes its row say so, never the page wait.
struct MetricsScraper: Sendable {
    var timeout: TimeAmount = .seconds(2)
    /// A `/metrics` larger than this is not a daemon of ours.
    var maximumBytes = 8 << 20

    func read(_ daemons: [ConsoleConfiguration.Daemon]) async -> [DaemonReading] {
        await withTaskGroup(of: (Int, DaemonReading).self) { group in
            for (index, daemon) in daemons.enumerated() {
                group.addTask { (index, await read(daemon)) }
            }
            var readings: [(Int, DaemonReading)] = []
            for await reading in group { readings.append(reading) }
            return readings.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    private func read(_ daemon: ConsoleConfiguration.Daemon) async -> DaemonReading {
        do {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: daemon.metricsURL), timeout: timeout)
            let body = try await response.body.collect(upTo: maximumBytes)
            guard response.status == .ok else { return DaemonReading(daemon: daemon, failure: "HTTP \(response.status.code)") }
            return DaemonReading(daemon: daemon, failure: nil, samples: PrometheusText.parse(String(buffer: body)))
        } catch {
            return DaemonReading(daemon: daemon, failure: "not reachable: \(error)")
        }
    }
}
