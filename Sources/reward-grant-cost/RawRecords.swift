import Foundation
import Kafka
import Synchronization

/// The baseline of `reward-bench sdk`: records straight into `KafkaProducer.send(_:onDelivery:)`
/// from one thread, alternating clusters and topics, at most `window` unacknowledged.
enum RawRecords {
    static func produce(_ count: Int, window: Int, payloadSize: Int, producers: [KafkaProducer]) async -> Int {
        let payload = [UInt8](repeating: 0x61, count: payloadSize)
        let done = Results()
        return await withCheckedContinuation { continuation in
            let thread = Thread {
                var n = 0
                while n < count {
                    if n - done.answered >= window {
                        usleep(100)
                        continue
                    }
                    let message = KafkaProducerMessage(topic: n & 1 == 0 ? "reward-cash" : "reward-goods",
                                                       key: Array("cost:\(n)".utf8), value: payload)
                    do {
                        try producers[(n >> 1) % producers.count].send(message) { result in done.record(result) }
                        n += 1
                    } catch {
                        usleep(100)  // queue full: back off briefly
                    }
                }
                while done.answered < count { usleep(100) }
                continuation.resume(returning: done.acknowledged.load(ordering: .relaxed))
            }
            thread.name = "grant-cost-raw"
            thread.start()
        }
    }

    final class Results: Sendable {
        let acknowledged = Atomic<Int>(0)
        let failed = Atomic<Int>(0)

        var answered: Int { acknowledged.load(ordering: .relaxed) + failed.load(ordering: .relaxed) }

        func record(_ result: Result<KafkaDeliveryReport, KafkaError>) {
            switch result {
            case .success: acknowledged.add(1, ordering: .relaxed)
            case .failure: failed.add(1, ordering: .relaxed)
            }
        }
    }
}
