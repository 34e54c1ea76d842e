import Kafka
import Synchronization

/// Why the lane holds partitions paused, and the one place that pauses and resumes them.
///
/// A partition is fetched only when nothing holds it: not the lane as a whole (too much in memory),
/// not a retry-topic record waiting for its time, not a record the lane cannot park (the
/// dead-letter store is down). Each holder sets and clears its own reason, so one clearing never
/// resumes a partition another still holds.
final class PartitionPauses: Sendable {
    enum Reason: Hashable, Sendable {
        /// A retry-topic record waits for its delay or for room in its type's queue.
        case retryWait
        /// A record of this partition could not be parked yet (the dead-letter store or topic is down).
        case parkingBlocked
    }

    private struct State {
        var reasons: [KafkaTopicPartition: Set<Reason>] = [:]
        var lane = false
    }

    private let consumer: KafkaConsumer
    private let state = Mutex(State())

    init(consumer: KafkaConsumer) {
        self.consumer = consumer
    }

    /// Holds or releases `partition` for `reason`.
    func set(_ partition: KafkaTopicPartition, _ reason: Reason, _ on: Bool) {
        state.withLock { state in
            let before = state.lane || !(state.reasons[partition] ?? []).isEmpty
            if on { state.reasons[partition, default: []].insert(reason) } else { state.reasons[partition]?.remove(reason) }
            if state.reasons[partition]?.isEmpty == true { state.reasons[partition] = nil }
            let after = state.lane || !(state.reasons[partition] ?? []).isEmpty
            guard before != after else { return }
            if after { try? consumer.pause([partition]) } else { try? consumer.resume([partition]) }
        }
    }

    /// Holds or releases every owned partition for the lane's memory bound.
    /// - Returns: whether this changed the lane's state.
    @discardableResult
    func setLane(_ on: Bool) -> Bool {
        state.withLock { state in
            guard state.lane != on else { return false }
            state.lane = on
            guard let owned = try? consumer.assignment() else { return true }
            if on {
                try? consumer.pause(owned)
            } else {
                try? consumer.resume(owned.filter { (state.reasons[$0] ?? []).isEmpty })
            }
            return true
        }
    }

    var lanePaused: Bool { state.withLock { $0.lane } }

    /// Partitions held by `reason` now (for metrics and tests).
    func held(by reason: Reason) -> Int {
        state.withLock { $0.reasons.values.filter { $0.contains(reason) }.count }
    }

    /// Newly assigned partitions start paused while the lane is, and fetching otherwise.
    ///
    /// librdkafka keeps a partition paused across a rebalance, while ``revoke(_:)`` forgets why it
    /// was: a partition paused for a retry-topic record, revoked, and assigned back stayed paused
    /// for good, its wait's end finding no reason left to clear (found by `reward-bench chaos`
    /// seed 2: a cluster flapping while consumers were stopped left two retry partitions unread).
    func assigned(_ partitions: [KafkaTopicPartition]) {
        state.withLock { state in
            if state.lane { try? consumer.pause(partitions) } else { try? consumer.resume(partitions) }
        }
    }

    /// Revoked partitions are no longer ours to hold.
    func revoke(_ partitions: [KafkaTopicPartition]) {
        state.withLock { state in
            for partition in partitions { state.reasons[partition] = nil }
        }
    }
}
