public import Kafka
import Synchronization

/// Which offsets of each owned partition may be committed: the lowest record still in flight,
/// or one past the last record seen when nothing is in flight.
///
/// Records finish in any order (types settle at their own pace), but Kafka keeps one offset per
/// partition, so the commit point never passes a record that is not settled or parked. Each
/// assignment gets a new epoch: a record that finishes after its partition was revoked (and
/// maybe re-assigned) cannot move the new owner's commit point.
public final class PartitionOffsets: Sendable {
    /// Identifies a record taken from a partition under one assignment.
    public struct Ticket: Sendable, Hashable {
        public let partition: KafkaTopicPartition
        public let offset: Int64
        let epoch: UInt64
        /// The record's key, value and headers, counted against the lane's memory bound.
        let bytes: Int
    }

    private struct Partition {
        var epoch: UInt64
        var inFlight: [Int64] = []          // in the order taken (ascending, but an offset can come twice)
        /// Finished records not yet popped off `inFlight`, counted per offset: librdkafka can deliver
        /// an offset again within one assignment (a refetch after a broker comes back), and a set
        /// counted both finishes as one, leaving the second copy in flight for good: the commit
        /// point stuck, the lag never 0 (found by `reward-bench chaos`, a cluster down and up).
        var finished: [Int64: Int] = [:]
        var commitPoint: Int64?             // next offset to read, once known
        var lastCommitted: Int64?
        /// Since when the oldest record in flight has held the commit point (nil: none in flight).
        var headSince: ContinuousClock.Instant?
    }

    private struct State {
        var partitions: [KafkaTopicPartition: Partition] = [:]
        var nextEpoch: UInt64 = 1
        /// Bytes of records taken and not finished, whatever became of their partition.
        var bytes = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// The group gave us these partitions (again): start them afresh.
    public func assign(_ partitions: [KafkaTopicPartition]) {
        state.withLock { state in
            for partition in partitions {
                state.partitions[partition] = Partition(epoch: state.nextEpoch)
                state.nextEpoch += 1
            }
        }
    }

    /// Forget these partitions; returns their commit points so they can be committed on the way out.
    @discardableResult
    public func revoke(_ partitions: [KafkaTopicPartition]) -> [KafkaTopicPartition: Int64] {
        state.withLock { state in
            var points: [KafkaTopicPartition: Int64] = [:]
            for partition in partitions {
                if let point = state.partitions.removeValue(forKey: partition)?.commitPoint { points[partition] = point }
            }
            return points
        }
    }

    /// A record was taken for processing. `nil` when the partition is not (or no longer) ours.
    /// - Parameter bytes: the record's size, held against the lane's memory bound until it finishes.
    public func begin(_ partition: KafkaTopicPartition, offset: Int64, bytes: Int = 0) -> Ticket? {
        state.withLock { state in
            guard var entry = state.partitions[partition] else { return nil }
            if entry.inFlight.isEmpty { entry.headSince = .now }
            entry.inFlight.append(offset)
            if entry.commitPoint == nil { entry.commitPoint = offset }
            state.partitions[partition] = entry
            state.bytes += max(0, bytes)
            return Ticket(partition: partition, offset: offset, epoch: entry.epoch, bytes: max(0, bytes))
        }
    }

    /// The record is settled or parked: it no longer holds the commit point back.
    public func finish(_ ticket: Ticket) {
        state.withLock { state in
            state.bytes -= ticket.bytes
            guard var entry = state.partitions[ticket.partition], entry.epoch == ticket.epoch else { return }
            entry.finished[ticket.offset, default: 0] += 1
            var index = 0
            while index < entry.inFlight.count, let count = entry.finished[entry.inFlight[index]] {
                entry.finished[entry.inFlight[index]] = count > 1 ? count - 1 : nil
                entry.commitPoint = entry.inFlight[index] + 1
                index += 1
            }
            entry.inFlight.removeFirst(index)
            if index > 0 { entry.headSince = entry.inFlight.isEmpty ? nil : .now }
            if let first = entry.inFlight.first { entry.commitPoint = first }
            state.partitions[ticket.partition] = entry
        }
    }

    /// Commit points that moved since they were last handed out.
    public func pendingCommits() -> [KafkaTopicPartition: Int64] {
        state.withLock { state in
            var points: [KafkaTopicPartition: Int64] = [:]
            for (partition, entry) in state.partitions {
                if let point = entry.commitPoint, point != entry.lastCommitted { points[partition] = point }
            }
            return points
        }
    }

    /// Record that these points were committed.
    public func committed(_ points: [KafkaTopicPartition: Int64]) {
        state.withLock { state in
            for (partition, point) in points where state.partitions[partition] != nil {
                state.partitions[partition]?.lastCommitted = point
            }
        }
    }

    /// Bytes of the records taken and not yet finished.
    public var inFlightBytes: Int { state.withLock { $0.bytes } }

    /// The commit point a partition would commit now (`nil` when not owned or nothing was taken).
    public func commitPoint(_ partition: KafkaTopicPartition) -> Int64? {
        state.withLock { $0.partitions[partition]?.commitPoint }
    }

    /// Owned partitions whose commit point has not moved for longer than `limit` while a record
    /// is in flight, with how long: a record stuck at the head of its partition holds back every
    /// commit behind it (the lag grows while the lane looks busy).
    public func stalled(longerThan limit: Duration) -> [(partition: KafkaTopicPartition, held: Duration)] {
        let now = ContinuousClock.now
        return state.withLock { state in
            state.partitions.compactMap { partition, entry in
                guard let since = entry.headSince, now - since > limit else { return nil }
                return (partition, now - since)
            }
        }
    }

    /// How many partitions the group has given this instance.
    public var ownedCount: Int { state.withLock { $0.partitions.count } }

    /// Records taken and not yet finished, over all partitions.
    public var inFlightCount: Int {
        state.withLock { $0.partitions.values.reduce(0) { $0 + $1.inFlight.count - $1.finished.values.reduce(0, +) } }
    }
}
