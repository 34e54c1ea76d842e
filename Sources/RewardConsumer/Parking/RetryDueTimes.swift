import Kafka
import Synchronization

/// When a retry-topic record is due, on this process's clock, without trusting another clock.
///
/// A parked record carries its delay as a duration. Measured from when *this* process read the
/// record, a partition with a backlog of parked records released one record per delay: the
/// partition is paused while a record waits, and every record read after the resume started its
/// own full wait (8,000 spilled prizes drained at 0.09 of the partner's rate). So the wait is
/// credited with the time the record already spent on the topic, taken from its timestamp (set by
/// the consumer that parked it) translated to our clock by the smallest `readTime − timestamp`
/// seen on the partition lately: that difference is the clock offset plus the record's age, and
/// the age is never negative, so the smallest is the best estimate of the offset and never
/// credits a record with more time than it really waited. The wait is never longer than the
/// delay. An offset learned from a record stamped in the future (a parking clock far ahead) is
/// forgotten after ``memory``, so it cannot waive the delays of a partition for long.
final class RetryDueTimes: Sendable {
    /// How long a learned offset is trusted before it is measured anew.
    static let memory: Int64 = 60_000
    /// Timestamps outside it are ignored (the whole delay is waited).
    private static let plausible = ParkingHeaders.plausibleEpochMilliseconds

    private struct Learned {
        var offset: Int64
        var since: Int64
    }

    private let learned = Mutex([KafkaTopicPartition: Learned]())

    /// Milliseconds left to wait, 0...delay.
    func wait(delay: Int64, timestamp: Int64?, partition: KafkaTopicPartition, now: Int64) -> Int64 {
        guard delay > 0 else { return 0 }
        guard let timestamp, Self.plausible.contains(timestamp), Self.plausible.contains(now) else { return delay }
        let observed = now - timestamp
        let offset = learned.withLock { learned -> Int64 in
            if let known = learned[partition], known.offset <= observed, now - known.since < Self.memory { return known.offset }
            learned[partition] = Learned(offset: observed, since: now)
            return observed
        }
        // Due at timestamp + offset + delay; `observed - offset` is how long it has been on the topic.
        return min(delay, max(0, delay - (observed - offset)))
    }

    /// Forgets revoked partitions (whoever owns one next learns it anew).
    func forget(_ partitions: [KafkaTopicPartition]) {
        learned.withLock { learned in for partition in partitions { learned[partition] = nil } }
    }
}
