import Foundation
import Kafka
import Logging
import Synchronization

/// The baseline: records of the SDK's payload size straight into `KafkaProducer.send(_:onDelivery:)`,
/// one producer per cluster, alternating, with a bounded number in flight.
struct RawProducePhase {
    struct Result {
        var count: Int
        var seconds: Double
        /// From each record's send to its acknowledgement.
        var latencies: Latencies
        var rate: Double { Double(count) / seconds }
    }

    let bootstrap: [[String]]
    let payloadSize: Int
    let linger: Duration
    let window: Int
    let logger: Logger

    func run(duration: Double) async throws -> Result {
        let producers = try bootstrap.enumerated().map { index, servers in
            var configuration = KafkaProducerConfiguration(bootstrapServers: servers)
            configuration.clientID = "bench-raw-\(index)"
            configuration.linger = linger
            configuration.statisticsInterval = nil
            configuration.additionalProperties = ["reconnect.backoff.ms": "50", "reconnect.backoff.max.ms": "1000"]
            return try KafkaProducer(configuration: configuration, logger: logger)
        }
        let payload = [UInt8](repeating: 0x61, count: payloadSize)
        let counters = Counters()
        let (window, topics) = (self.window, ["reward-cash", "reward-goods"])
        // Produce from a dedicated thread: the loop spins (with short sleeps) when the window is full.
        let seconds: Double = await withCheckedContinuation { continuation in
            let thread = Thread {
                let start = ContinuousClock.now
                let end = start + .milliseconds(Int(duration * 1000))
                var n = 0
                while ContinuousClock.now < end {
                    if n - counters.acknowledged.load(ordering: .relaxed) - counters.failed.load(ordering: .relaxed) >= window {
                        usleep(100)
                        continue
                    }
                    let message = KafkaProducerMessage(topic: topics[n & 1], key: Array("raw:\(n)".utf8), value: payload)
                    let sent = ContinuousClock.now
                    do {
                        try producers[(n >> 1) % producers.count].send(message) { result in
                            let waited = ContinuousClock.now - sent
                            counters.latencies.withLock { $0.record(nanoseconds: GrantPhase.nanoseconds(waited)) }
                            switch result {
                            case .success: counters.acknowledged.add(1, ordering: .relaxed)
                            case .failure: counters.failed.add(1, ordering: .relaxed)
                            }
                        }
                        n += 1
                    } catch {
                        usleep(100)  // queue full: back off briefly
                    }
                }
                // Count the time until every produced record has its acknowledgement.
                while counters.acknowledged.load(ordering: .relaxed) + counters.failed.load(ordering: .relaxed) < n {
                    usleep(100)
                }
                let elapsed = ContinuousClock.now - start
                continuation.resume(returning: GrantPhase.seconds(elapsed))
            }
            thread.name = "bench-raw-producer"
            thread.start()
        }
        for producer in producers { await producer.shutdown() }
        if counters.failed.load(ordering: .relaxed) > 0 {
            print("raw produce: \(counters.failed.load(ordering: .relaxed)) records failed")
        }
        return Result(count: counters.acknowledged.load(ordering: .relaxed), seconds: seconds,
                      latencies: counters.latencies.withLock { $0 })
    }

    final class Counters: Sendable {
        let acknowledged = Atomic<Int>(0)
        let failed = Atomic<Int>(0)
        let latencies = Mutex(Latencies())
    }
}
