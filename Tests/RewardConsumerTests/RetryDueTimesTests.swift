import Kafka
@testable import RewardConsumer
import Testing

/// When a retry-topic record is due, from its delay, its timestamp and this process's clock.
@Suite("Retry-topic records are due by the time they spent parked, never sooner")
struct RetryDueTimesTests {
    static let partition = KafkaTopicPartition(topic: "reward-goods-retry", partition: 3)
    static let delay: Int64 = 2_000

    @Test("A backlog parked together is due together: only the first read waits the whole delay")
    func backlogFlows() {
        let due = RetryDueTimes()
        let parkedAt: Int64 = 1_800_000_000_000
        // Read 10 ms after it was parked: age and clock offset cannot be told apart, so the whole delay.
        #expect(due.wait(delay: Self.delay, timestamp: parkedAt, partition: Self.partition, now: parkedAt + 10) == Self.delay)
        // After that wait the partition resumes; the records parked 1–500 ms after the first are due too.
        let resumed = parkedAt + 10 + Self.delay
        for later: Int64 in [1, 200, 500] {
            let left = due.wait(delay: Self.delay, timestamp: parkedAt + later, partition: Self.partition, now: resumed)
            #expect(left == later, "due \(Self.delay) ms after it was parked, by the first record's offset")
        }
        // A record parked just now waits its whole delay.
        #expect(due.wait(delay: Self.delay, timestamp: resumed, partition: Self.partition, now: resumed + 10) == Self.delay)
    }

    @Test("A parking clock an hour behind or ahead never makes a record due sooner than its delay on our clock",
          arguments: [Int64(3_600_000), -3_600_000])
    func skewedProducer(skew: Int64) {
        let due = RetryDueTimes()
        let now: Int64 = 1_800_000_000_000
        // Stamped by a clock `skew` behind ours (negative: ahead), parked 5 ms ago.
        #expect(due.wait(delay: Self.delay, timestamp: now - skew - 5, partition: Self.partition, now: now) == Self.delay)
        // The next, parked at our 100 ms and read at 120 ms: credited at most the 20 ms it really waited.
        let left = due.wait(delay: Self.delay, timestamp: now - skew + 100, partition: Self.partition, now: now + 120)
        #expect(left >= Self.delay - 20 && left <= Self.delay)
    }

    @Test("Outside timestamps are range-checked: missing, negative or absurd ones mean the whole delay")
    func hostileTimestamps() {
        let due = RetryDueTimes()
        let now: Int64 = 1_800_000_000_000
        for timestamp: Int64? in [nil, -1, .min, .max, 253_402_300_800_000] {
            #expect(due.wait(delay: Self.delay, timestamp: timestamp, partition: Self.partition, now: now) == Self.delay)
        }
        #expect(due.wait(delay: 0, timestamp: now - 10_000, partition: Self.partition, now: now) == 0)
    }

    @Test("An offset learned from a record stamped far ahead is forgotten after a minute, and on revocation")
    func learnedOffsetExpires() {
        let due = RetryDueTimes()
        let now: Int64 = 1_800_000_000_000
        // One record stamped an hour ahead teaches an offset of −1 h …
        _ = due.wait(delay: Self.delay, timestamp: now + 3_600_000, partition: Self.partition, now: now)
        // … under which a record parked 10 ms ago by a correct clock looks an hour old: due at once.
        #expect(due.wait(delay: Self.delay, timestamp: now + 20, partition: Self.partition, now: now + 30) == 0)
        // A minute later the offset is measured anew, and a fresh record waits its delay again.
        let later = now + RetryDueTimes.memory + 1
        #expect(due.wait(delay: Self.delay, timestamp: later - 10, partition: Self.partition, now: later) == Self.delay)
        // Revoked: forgotten at once.
        _ = due.wait(delay: Self.delay, timestamp: later + 3_600_000, partition: Self.partition, now: later + 1)
        due.forget([Self.partition])
        #expect(due.wait(delay: Self.delay, timestamp: later + 5, partition: Self.partition, now: later + 10) == Self.delay)
    }
}
