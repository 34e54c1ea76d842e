import ArgumentParser
import Kafka

/// `--rtt-ms 5-30`: every mock broker answers after a round trip drawn from this range, drawn
/// again each second (a real broker's latency drifts; changing it per request would make the mock
/// answer out of order, which no real broker does). `--rtt-ms 10` is a fixed round trip.
struct RoundTripProfile: ExpressibleByArgument, CustomStringConvertible {
    /// Milliseconds; at most 10 s, so a typo cannot park every broker for an hour.
    let range: ClosedRange<Int>

    init?(argument: String) {
        let parts = argument.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2,
              let low = Int(parts[0]), let high = parts.count == 2 ? Int(parts[1]) : low,
              low >= 0, low <= high, high <= 10_000
        else { return nil }
        range = low...high
    }

    var description: String { range.lowerBound == range.upperBound ? "\(range.lowerBound) ms" : "\(range.lowerBound)-\(range.upperBound) ms" }

    static var helpText: String { "LOW-HIGH or MS, 0...10000" }

    /// Sets every broker's round trip now and again each second until the task is cancelled.
    func drive(_ clusters: [KafkaMockCluster], brokers: Int) -> Task<Void, Never> {
        let range = self.range
        for cluster in clusters { Self.draw(cluster, brokers: brokers, range) }
        return Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                for cluster in clusters { Self.draw(cluster, brokers: brokers, range) }
            }
        }
    }

    private static func draw(_ cluster: KafkaMockCluster, brokers: Int, _ range: ClosedRange<Int>) {
        for broker in Int32(1)...Int32(brokers) {
            try? cluster.setRoundTripTime(broker, .milliseconds(Int.random(in: range)))
        }
    }
}
