import Foundation
public import Kafka
public import Logging
import RewardCore
public import RewardSettlement
public import ServiceLifecycle
import Synchronization

/// One lane of one cluster (for example A/cash): reads the lane's topic and its retry topic as
/// a member of the lane's consumer group, verifies each record, hands it to its reward type's
/// worker, and commits offsets only for records settled or parked.
///
/// Memory stays bounded: each type holds at most its queue's capacity; a type that is full
/// while others are not has its overflow parked on the retry topic (so it delays only itself);
/// when the lane as a whole holds too much, its partitions are paused until it drains.
public final class LaneConsumer: Service, Sendable {
    public struct Topics: Sendable {
        public var main: String
        public var retry: String
        public var deadLetter: String

        public init(main: String, retry: String, deadLetter: String) {
            self.main = main
            self.retry = retry
            self.deadLetter = deadLetter
        }
    }

    private let consumer: KafkaConsumer
    private let topics: Topics
    private let verifier: RecordVerifier
    private let lane: LaneServices
    private let workers: [String: RewardTypeWorker]
    private let paused = Mutex<Set<KafkaTopicPartition>>([])
    private let lanePaused = Mutex(false)

    public init(consumer: KafkaConsumer, producer: KafkaProducer, topics: Topics, cluster: String, verifier: RecordVerifier,
                engine: SettlementEngine, limiter: RewardRateLimiter, stores: ConsumerStores, settings: ConsumerSettings,
                metrics: ConsumerMetrics, logger: Logger) {
        self.consumer = consumer
        self.topics = topics
        self.verifier = verifier
        let lane = LaneServices(
            cluster: cluster, settings: settings, engine: engine, limiter: limiter,
            parking: Parking(producer: producer, cluster: cluster, retryTopic: topics.retry, deadLetterTopic: topics.deadLetter,
                             deadLetters: stores.deadLetters, logger: logger),
            offsets: PartitionOffsets(), tokens: ConsumerTokenRecorder(pool: stores.tokens, keyRing: verifier.keyRing, logger: logger),
            metrics: metrics, logger: logger)
        self.lane = lane
        self.workers = Dictionary(uniqueKeysWithValues: verifier.catalog.types.values
            .filter { $0.lane == verifier.lane }
            .map { ($0.id, RewardTypeWorker(type: $0, lane: lane)) })
    }

    /// Records taken and not yet settled or parked.
    public var inFlight: Int { lane.offsets.inFlightCount }

    /// Consumes until graceful shutdown (SIGTERM): then stops fetching, lets settling batches
    /// finish (up to the grace period), commits, and leaves the group.
    /// - Throws: ``KafkaError`` with ``KafkaError/Code/offsetOutOfRange`` when a committed offset left
    ///   the log: the lane stops instead of skipping or repeating data.
    public func run() async throws {
        try consumer.subscribe(topics: [topics.main, topics.retry])
        lane.logger.info("lane consumer started", metadata: ["topic": "\(topics.main)", "types": "\(workers.keys.sorted())"])
        let workerTasks = workers.values.map { worker in Task { await worker.run() } }
        let committer = Task { await self.commitLoop() }
        let result: Result<Void, any Error>
        do {
            try await cancelWhenGracefulShutdown { try await self.dispatch() }
            result = .success(())
        } catch {
            result = .failure(error)
        }
        // Stop taking work; what is still queued was never settled and stays uncommitted.
        for worker in workers.values { worker.queue.finish() }
        if !(await Self.waitAll(workerTasks, within: lane.settings.shutdownGrace)) {
            lane.logger.warning("shutdown grace ran out with batches still settling; they will be consumed again")
            for task in workerTasks { task.cancel() }
        }
        committer.cancel()
        await commit()
        await consumer.close()
        lane.logger.info("lane consumer stopped", metadata: ["topic": "\(topics.main)", "inFlight": "\(inFlight)"])
        try result.get()
    }

    private static func waitAll(_ tasks: [Task<Void, Never>], within grace: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { race in
            race.addTask {
                for task in tasks { await task.value }
                return true
            }
            race.addTask {
                try? await Task.sleep(for: grace)
                return false
            }
            let first = await race.next() ?? false
            race.cancelAll()
            return first
        }
    }

    private func dispatch() async throws {
        for try await event in consumer.events {
            switch event {
            case .partitionsAssigned(let partitions):
                lane.offsets.assign(partitions)
            case .partitionsRevoked(let partitions):
                let points = lane.offsets.revoke(partitions)
                paused.withLock { $0.subtract(partitions) }
                try? consumer.commitAsync(points)
            case .message(let message):
                lane.metrics.consumed(topic: message.topic)
                await accept(message)
            }
            applyLaneBackpressure()
        }
    }

    private func accept(_ message: KafkaConsumerMessage) async {
        guard let ticket = lane.offsets.begin(message.topicPartition, offset: message.offset) else { return }
        let fromRetryTopic = message.topic == topics.retry
        let attempts = Int(ParkingHeaders.int(ParkingHeaders.attempts, in: message) ?? 0)
        let (grant, type): (VerifiedGrant, RewardType)
        do {
            (grant, type) = try verifier.verify(message.value)
        } catch {
            lane.metrics.finalFailure(reason: error.code)
            let orderID = message.key.map { String(decoding: $0, as: UTF8.self) }
            Task { await lane.park(message, ticket: ticket, orderID: orderID, rewardType: nil, attempts: attempts, deadLetter: error) }
            return
        }
        guard let worker = workers[type.id] else { return }  // verifier guarantees the lane's catalog
        let record = ConsumedRecord(
            grant: grant, rewardType: type, message: message, ticket: ticket, attempts: attempts,
            retryTopicPasses: Int(ParkingHeaders.int(ParkingHeaders.retryPasses, in: message) ?? 0))
        if fromRetryTopic {
            await deliverWhenDue(record, to: worker)
        } else if await !offerWithBackpressure(record, to: worker) {
            // This type stayed full: park its overflow so the other types behind it keep moving.
            lane.metrics.spilled(type: type.id)
            Task { await lane.park(record, retryAfter: lane.settings.spillDelay, passes: record.retryTopicPasses, reason: "spilled") }
        }
    }

    /// Waits for room in the type's queue as ordinary backpressure; a type that stays full for
    /// ``ConsumerSettings/saturationWait`` is saturated, and until its queue drains to half its
    /// records are refused at once (to be spilled) instead of holding up the whole lane.
    private func offerWithBackpressure(_ record: ConsumedRecord, to worker: RewardTypeWorker) async -> Bool {
        if worker.queue.offer(record) {
            worker.saturated.withLock { if $0, worker.queue.count <= worker.queue.capacity / 2 { $0 = false } }
            return true
        }
        if worker.saturated.withLock({ $0 }) {
            if worker.queue.count <= worker.queue.capacity / 2 {
                worker.saturated.withLock { $0 = false }
                return worker.queue.offer(record)
            }
            return false
        }
        let deadline = ContinuousClock.now + lane.settings.saturationWait
        while ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(5))
            if worker.queue.offer(record) { return true }
        }
        worker.saturated.withLock { $0 = true }
        lane.logger.warning("reward type saturated: parking its overflow on the retry topic",
                            metadata: ["rewardType": "\(worker.type.id)"])
        return false
    }

    /// Retry-topic records wait for their time (and for room in their type's queue); meanwhile
    /// their partition is paused so nothing piles up behind them in memory.
    private func deliverWhenDue(_ record: ConsumedRecord, to worker: RewardTypeWorker) async {
        let dueMilliseconds = ParkingHeaders.int(ParkingHeaders.notBefore, in: record.message) ?? 0
        let wait = Double(dueMilliseconds) / 1000 - Date().timeIntervalSince1970
        if wait <= 0, worker.queue.offer(record) { return }
        let partition = record.message.topicPartition
        setPaused(partition, true)
        Task {
            if wait > 0 { try? await Task.sleep(for: .milliseconds(Int64(wait * 1000))) }
            while !worker.queue.offer(record) {
                if worker.queue.isFinished { return }
                try? await Task.sleep(for: .milliseconds(50))
            }
            self.setPaused(partition, false)
        }
    }

    private func setPaused(_ partition: KafkaTopicPartition, _ value: Bool) {
        let changed = paused.withLock { set in value ? set.insert(partition).inserted : set.remove(partition) != nil }
        guard changed, !lanePaused.withLock({ $0 }) else { return }
        if value { try? consumer.pause([partition]) } else { try? consumer.resume([partition]) }
    }

    /// Pauses every owned partition while the lane holds more than it may, resumes below half.
    private func applyLaneBackpressure() {
        let inFlight = lane.offsets.inFlightCount
        lane.metrics.inFlight(inFlight)
        let limit = lane.settings.maximumInFlight
        let shouldPause: Bool? = lanePaused.withLock { paused in
            if !paused, inFlight >= limit { paused = true; return true }
            if paused, inFlight <= limit / 2 { paused = false; return false }
            return nil
        }
        guard let shouldPause, let owned = try? consumer.assignment() else { return }
        if shouldPause {
            try? consumer.pause(owned)
        } else {
            let held = paused.withLock { $0 }
            try? consumer.resume(owned.filter { !held.contains($0) })
        }
        lane.metrics.paused(shouldPause)
        lane.logger.info(shouldPause ? "lane saturated: partitions paused" : "lane drained: partitions resumed",
                         metadata: ["inFlight": "\(inFlight)"])
    }

    private func commitLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: lane.settings.commitInterval)
            await commit()
        }
    }

    private func commit() async {
        let points = lane.offsets.pendingCommits()
        guard !points.isEmpty else { return }
        do {
            try await consumer.commit(points)
            lane.offsets.committed(points)
        } catch {
            lane.logger.warning("offset commit failed; will retry", metadata: ["error": "\(error)"])
        }
    }
}
