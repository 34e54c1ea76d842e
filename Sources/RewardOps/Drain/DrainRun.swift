import Foundation
import Kafka
import Logging
import RewardConsumer
import RewardCore
import RewardSettlement

/// One execution of a drain plan: reads, settles in batches, parks, checkpoints, commits.
/// Used by one task only (``TopicDrainer/run(_:_:progress:shouldStop:)``).
final class DrainRun {
    private let plan: DrainPlan
    private let request: DrainRequest
    private let parts: TopicDrainer.Parts
    private let checkpoints: DrainCheckpointStore
    private let logger: Logger
    private let consumer: KafkaConsumer
    private let producer: RenewingProducer
    private let parking: Parking
    /// Partitions still to finish, with the offset to stop before.
    private var remaining: [Int32: Int64] = [:]
    private var progress: DrainProgress
    private var groupOffsets = "not moved (filtered drain: records outside the filter stay for the consumers)"
    private var commitToGroup: Bool
    private let started = ContinuousClock.now

    init(plan: DrainPlan, request: DrainRequest, parts: TopicDrainer.Parts, checkpoints: DrainCheckpointStore, logger: Logger) throws {
        self.plan = plan
        self.request = request
        self.parts = parts
        self.checkpoints = checkpoints
        self.logger = logger
        var configuration = KafkaConsumerConfiguration(connection: parts.connection, groupID: plan.group)
        configuration.clientID = "reward-admin-drain"
        configuration.statisticsInterval = nil
        configuration.sessionTimeout = .seconds(6)
        consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        var producerConfiguration = KafkaProducerConfiguration(connection: parts.connection)
        producerConfiguration.clientID = "reward-admin-drain-parking"
        producerConfiguration.statisticsInterval = nil
        producer = try RenewingProducer(logger: logger) { [producerConfiguration, logger] () throws(KafkaError) in
            try KafkaProducer(configuration: producerConfiguration, logger: logger)
        }
        parking = Parking(producer: producer, cluster: plan.cluster, retryTopic: parts.retryTopic, deadLetterTopic: parts.deadLetterTopic,
                          deadLetters: parts.pool, logger: logger)
        progress = DrainProgress(total: plan.total)
        commitToGroup = request.isUnfiltered
        if commitToGroup { groupOffsets = "moved past the drained records" }
        for partition in plan.partitions where partition.records > 0 { remaining[partition.partition] = partition.end }
    }

    func execute(progress report: @Sendable (DrainProgress) -> Void, shouldStop: @Sendable () -> Bool) async throws -> DrainSummary {
        defer { Task { [producer] in await producer.shutdown() } }
        var ending = DrainSummary.Ending.completed
        var detail: String?
        do {
            if request.join {
                try consumer.subscribe(topics: [plan.topic])
            } else if !remaining.isEmpty {
                try consumer.assign(Dictionary(uniqueKeysWithValues: plan.partitions.filter { $0.records > 0 }.map {
                    (KafkaTopicPartition(topic: plan.topic, partition: $0.partition), $0.start)
                }))
            }
            var batch: [KafkaConsumerMessage] = []
            let batchSize = max(1, min(request.batchSize, request.rate.map { max(1, $0 / 4) } ?? .max))
            var events = consumer.events.makeAsyncIterator()
            while !remaining.isEmpty {
                if shouldStop() {
                    ending = .interrupted
                    break
                }
                guard let event = try await events.next() else { break }
                var finishedPartition = false
                switch event {
                case .partitionsAssigned(let assigned):
                    try await dropFinished(assigned)
                    continue
                case .partitionsRevoked(let revoked):
                    // Another member of the group takes these over; settle what we hold first.
                    if !batch.isEmpty, try await !flush(&batch, report) { ending = .stalled }
                    for partition in revoked { remaining[partition.partition] = nil }
                    if ending == .stalled { break }
                    continue
                case .message(let message):
                    guard let end = remaining[message.partition], message.offset < end else { continue }
                    batch.append(message)
                    finishedPartition = message.offset == end - 1
                }
                if batch.count >= batchSize || finishedPartition {
                    guard try await flush(&batch, report) else {
                        ending = .stalled
                        break
                    }
                }
            }
            if ending != .stalled, !batch.isEmpty, try await !flush(&batch, report) { ending = .stalled }
        } catch {
            await consumer.close()
            throw error
        }
        if ending == .stalled {
            detail = "settlement kept failing (a ledger or the database is down); rerun the same command to resume"
        } else if ending == .interrupted {
            detail = "rerun the same command to resume from the checkpoint"
        }
        await consumer.close()
        progress.elapsedSeconds = elapsed()
        return DrainSummary(ending: ending, progress: progress, groupOffsets: plan.total == 0 ? "nothing to drain" : groupOffsets,
                            detail: detail)
    }

    /// In a group, a partition whose committed offset is already past the plan's end is done.
    private func dropFinished(_ assigned: [KafkaTopicPartition]) async throws {
        let committed = try await consumer.committed(assigned)
        for partition in assigned {
            if let end = remaining[partition.partition], let offset = committed[partition] ?? nil, offset >= end {
                remaining[partition.partition] = nil
            }
        }
    }

    /// Settles a batch, parks what cannot be paid, checkpoints, commits. `false` when settlement
    /// stalled: the checkpoint then stops before the first record that is not settled.
    private func flush(_ batch: inout [KafkaConsumerMessage], _ report: @Sendable (DrainProgress) -> Void) async throws -> Bool {
        let messages = batch
        batch.removeAll(keepingCapacity: true)
        var selected: [(message: KafkaConsumerMessage, grant: VerifiedGrant)] = []
        for message in messages {
            let grant: VerifiedGrant
            do {
                (grant, _) = try parts.verifier.verify(message.value)
            } catch {
                progress.rejected += 1
                try await parking.toDeadLetter(message, orderID: message.key.map { String(decoding: $0, as: UTF8.self) },
                                               rewardType: nil, attempts: 0, reason: error)
                continue
            }
            let event = grant.event
            guard request.rewardTypes.isEmpty || request.rewardTypes.contains(event.bonus.rewardType),
                  request.includes(timestampMilliseconds: message.timestampMilliseconds ?? event.grantedAtMilliseconds)
            else {
                progress.skipped += 1
                continue
            }
            selected.append((message, grant))
        }
        let outcomes = await parts.settler.settle(selected.map(\.grant), source: .drain)
        var firstUnsettled: [Int32: Int64] = [:]
        for ((message, grant), outcome) in zip(selected, outcomes) {
            let event = grant.event
            progress.settlement.count(outcome)
            if case .retriable = outcome {
                firstUnsettled[message.partition] = min(firstUnsettled[message.partition] ?? .max, message.offset)
            } else if let reason = outcome.deadLetterReason {
                try await parking.toDeadLetter(message, orderID: event.orderID.rawValue, rewardType: event.bonus.rewardType,
                                               attempts: 1, reason: Rejection(code: reason.code, message: reason.message))
            }
        }
        // Per partition: the next offset whose record is not settled yet.
        var next: [Int32: (offset: Int64, handled: Int64)] = [:]
        for message in messages {
            if let stop = firstUnsettled[message.partition], message.offset >= stop { continue }
            let current = next[message.partition] ?? (message.offset + 1, 0)
            next[message.partition] = (max(current.offset, message.offset + 1), current.handled + 1)
        }
        for (partition, point) in next.sorted(by: { $0.key < $1.key }) {
            let end = plan.partitions.first { $0.partition == partition }?.end ?? point.offset
            try await checkpoints.advance(
                DrainCheckpointStore.Key(cluster: plan.cluster, topic: plan.topic, partition: partition, selection: plan.selection),
                to: point.offset, end: end, settled: point.handled)
            if point.offset >= end { remaining[partition] = nil }
        }
        await commitGroupOffsets(next.mapValues(\.offset))
        progress.done += Int64(next.values.reduce(0) { $0 + $1.handled })
        progress.elapsedSeconds = elapsed()
        report(progress)
        await pace()
        return firstUnsettled.isEmpty
    }

    /// Moves the lane group's offsets so restarted consumers do not read drained records again.
    /// Best effort outside the group: a broker may refuse commits from a non-member (the drain's
    /// own checkpoint still holds, and a consumer re-reading a drained record finds it credited).
    private func commitGroupOffsets(_ offsets: [Int32: Int64]) async {
        guard commitToGroup || request.join, !offsets.isEmpty else { return }
        let points = Dictionary(uniqueKeysWithValues: offsets.map { (KafkaTopicPartition(topic: plan.topic, partition: $0.key), $0.value) })
        do {
            try await consumer.commit(points)
        } catch {
            commitToGroup = false
            groupOffsets = "not moved (\(error)); consumers will find the drained records already credited"
            logger.notice("drain cannot commit the group's offsets; relying on its checkpoint", metadata: ["error": "\(error)"])
        }
    }

    /// Sleeps as long as the drain is ahead of its rate.
    private func pace() async {
        guard let rate = request.rate, rate > 0 else { return }
        let due = Double(progress.done) / Double(rate)
        let ahead = due - elapsed()
        if ahead > 0 { try? await Task.sleep(for: .milliseconds(Int64(ahead * 1000))) }
    }

    private func elapsed() -> Double {
        let duration = ContinuousClock.now - started
        return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
