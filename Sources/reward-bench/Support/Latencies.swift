import Foundation
import Histogram

/// Latencies in microseconds. Each caller task appends to its own array (no lock, and no
/// histogram per task: a full HDR histogram is hundreds of KiB, and thousands of callers each
/// clearing one cost more than what was measured); the arrays go into one histogram at the end.
struct Latencies: Sendable {
    private var samples: [UInt32] = []

    mutating func record(nanoseconds: UInt64) {
        samples.append(UInt32(clamping: max(1, nanoseconds / 1_000)))
    }

    mutating func merge(_ other: Latencies) {
        samples += other.samples
    }

    var count: Int { samples.count }

    /// The median in microseconds (0 without samples).
    var p50: Double {
        guard !samples.isEmpty else { return 0 }
        return Double(samples.sorted()[samples.count / 2])
    }

    var summary: String {
        var histogram = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
        for sample in samples { _ = histogram.record(UInt64(sample)) }
        func ms(_ percentile: Double) -> String {
            String(format: "%.2f", Double(histogram.valueAtPercentile(percentile)) / 1_000)
        }
        return "p50 \(ms(50)) ms, p99 \(ms(99)) ms, p999 \(ms(99.9)) ms, max \(ms(100)) ms"
    }
}
