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
/// when the lane as a whole holds too many records or bytes, its partitions are paused until it
/// drains (looked at on a timer too: paused partitions deliver nothing to look at). Records that
/// cannot be settled are parked by a fixed set of workers the lane owns.
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

    /// A record on its way out of the lane's way.
    private enum ParkingJob: Sendable {
        case deadLetter(KafkaConsumerMessage, PartitionOffsets.Ticket, orderID: String?, attempts: Int, Rejection)
        case retry(ConsumedRecord, delay: Duration, reason: String)
    }

    private let consumer: KafkaConsumer
    private let topics: Topics
    private let verifier: RecordVerifier
    private let lane: LaneServices
    private let workers: [String: RewardTypeWorker]
    private let parkingJobs: BoundedQueue<ParkingJob>
    private let retryDue = RetryDueTimes()

    public init(consumer: KafkaConsumer, producer: RenewingProducer, topics: Topics, cluster: String, verifier: RecordVerifier,
                engine: SettlementEngine, limiter: RewardRateLimiter, stores: ConsumerStores, settings: ConsumerSettings,
                metrics: ConsumerMetrics, logger: Logger) {
        self.consumer = consumer
        self.topics = topics
        self.verifier = verifier
        self.parkingJobs = BoundedQueue(capacity: settings.parkingQueueCapacity)
        let lane = LaneServices(
            cluster: cluster, settings: settings, engine: engine, limiter: limiter,
            parking: Parking(producer: producer, cluster: cluster, retryTopic: topics.retry, deadLetterTopic: topics.deadLetter,
                             deadLetters: stores.deadLetters, logger: logger),
            offsets: PartitionOffsets(), pauses: PartitionPauses(consumer: consumer),
            tokens: ConsumerTokenRecorder(pool: stores.tokens, keyRing: verifier.keyRing, logger: logger),
            metrics: metrics, logger: logger)
        self.lane = lane
        self.workers = Dictionary(uniqueKeysWithValues: verifier.catalog.types.values
            .filter { $0.lane == verifier.lane }
            .map { ($0.id, RewardTypeWorker(type: $0, lane: lane)) })
    }

    /// Records taken and not yet settled or parked.
    public var inFlight: Int { lane.offsets.inFlightCount }

    /// Whether the group has assigned this instance its partitions at least once (maybe none,
    /// when the lane has more instances than partitions).
    public var joined: Bool { hasJoined.load(ordering: .relaxed) }

    /// Partitions the group gives this instance now.
    public var ownedPartitions: Int { lane.offsets.ownedCount }

    /// Partitions whose commit point has not moved for longer than `limit` with a record in
    /// flight (see ``PartitionOffsets/stalled(longerThan:)``).
    public func stalledPartitions(longerThan limit: Duration) -> [(partition: KafkaTopicPartition, held: Duration)] {
        lane.offsets.stalled(longerThan: limit)
    }

    private let hasJoined = Atomic<Bool>(false)

    /// Consumes until graceful shutdown (SIGTERM): then stops fetching, lets settling batches
    /// finish (up to the grace period), commits, and leaves the group.
    /// - Throws: ``KafkaError`` with ``KafkaError/Code/offsetOutOfRange`` when a committed offset left
    ///   the log: the lane stops instead of skipping or repeating data.
    public func run() async throws {
        try consumer.subscribe(topics: [topics.main, topics.retry])
        lane.logger.info("lane consumer started", metadata: ["topic": "\(topics.main)", "types": "\(workers.keys.sorted())"])
        let workerTasks = workers.values.map { worker in Task { await worker.run() } }
        let parkers = (0..<max(1, lane.settings.parkingWorkers)).map { _ in
            Task {
                while let job = await self.parkingJobs.take() { await self.park(job) }
            }
        }
        let committer = Task { await self.commitLoop() }
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: self.lane.settings.backpressureInterval)
                self.applyLaneBackpressure()
            }
        }
        let result: Result<Void, any Error>
        do {
            try await cancelWhenGracefulShutdown { try await self.dispatch() }
            result = .success(())
        } catch {
            result = .failure(error)
        }
        // Stop taking work; what is still queued was never settled (or parked) and stays uncommitted.
        ticker.cancel()
        for worker in workers.values { worker.queue.finish() }
        parkingJobs.finish()
        if !(await Self.waitAll(workerTasks + parkers, within: lane.settings.shutdownGrace)) {
            lane.logger.warning("shutdown grace ran out with batches still settling; they will be consumed again")
            for task in workerTasks + parkers { task.cancel() }
        }
        committer.cancel()
        await commit()
        await consumer.close()
        lane.logger.info("lane consumer stopped", metadata: ["topic": "\(topics.main)", "inFlight": "\(inFlight)"])
        try result.get()
    }

    /// Whether every task ended within `grace`. Returns at the deadline even if one never ends (a
    /// task group would wait for its child awaiting that task, and the process would never exit).
    private static func waitAll(_ tasks: [Task<Void, Never>], within grace: Duration) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let once = ResumeOnce(continuation)
            Task {
                for task in tasks { await task.value }
                once.resume(true)
            }
            Task {
                try? await Task.sleep(for: grace)
                once.resume(false)
            }
        }
    }

    /// Resumes a continuation with whichever answer comes first.
    private final class ResumeOnce: Sendable {
        private let continuation: Mutex<CheckedContinuation<Bool, Never>?>

        init(_ continuation: CheckedContinuation<Bool, Never>) { self.continuation = Mutex(continuation) }

        func resume(_ value: Bool) { continuation.withLock { $0.take() }?.resume(returning: value) }
    }

    private func dispatch() async throws {
        for try await event in consumer.events {
            switch event {
            case .partitionsAssigned(let partitions):
                lane.offsets.assign(partitions)
                lane.pauses.assigned(partitions)
                hasJoined.store(true, ordering: .relaxed)
            case .partitionsRevoked(let partitions):
                let points = lane.offsets.revoke(partitions)
                lane.pauses.revoke(partitions)
                retryDue.forget(partitions)
                try? consumer.commitAsync(points)
            case .message(let message):
                lane.metrics.consumed(topic: message.topic)
                await accept(message)
            }
            applyLaneBackpressure()
        }
    }

    private func accept(_ message: KafkaConsumerMessage) async {
        let size = (message.key?.count ?? 0) + (message.value?.count ?? 0)
            + message.headers.reduce(0) { $0 + $1.name.utf8.count + ($1.value?.count ?? 0) }
        guard let ticket = lane.offsets.begin(message.topicPartition, offset: message.offset, bytes: size) else { return }
        let fromRetryTopic = message.topic == topics.retry
        let orderID = message.key.map { String(decoding: $0, as: UTF8.self) }
        let headers: ParkingHeaders.Parsed
        let (grant, type): (VerifiedGrant, RewardType)
        let now = WallClock.milliseconds()
        do {
            headers = try ParkingHeaders.read(message, nowMilliseconds: now)
            (grant, type) = try verifier.verify(message.value)
        } catch {
            // A poison record: parked by the lane's parking workers, never a crash or a stall.
            lane.metrics.finalFailure(reason: error.code)
            await enqueueParking(.deadLetter(message, ticket, orderID: orderID, attempts: 0, error))
            return
        }
        guard let worker = workers[type.id] else {
            // The verifier admits only this lane's types; never leave an offset behind if that changes.
            await enqueueParking(.deadLetter(message, ticket, orderID: orderID, attempts: headers.attempts,
                                             Rejection(code: "wrong_lane", message: "no worker for reward type \(type.id) on this lane")))
            return
        }
        let record = ConsumedRecord(
            grant: grant, rewardType: type, message: message, ticket: ticket, attempts: headers.attempts,
            retryTopicPasses: headers.retryPasses)
        if fromRetryTopic {
            let wait = retryDue.wait(delay: headers.retryDelayMilliseconds ?? 0, timestamp: message.timestampMilliseconds,
                                     partition: message.topicPartition, now: now)
            await deliverWhenDue(record, after: wait, to: worker)
        } else if await !offerWithBackpressure(record, to: worker) {
            // This type stayed full: park its overflow so the other types behind it keep moving.
            lane.metrics.spilled(type: type.id)
            await enqueueParking(.retry(record, delay: lane.settings.spillDelay, reason: "spilled"))
        }
    }

    /// Hands a job to the parking workers, waiting for room: a flood of poison records slows the
    /// lane down instead of growing memory. A job refused at shutdown stays uncommitted.
    private func enqueueParking(_ job: ParkingJob) async {
        let started = ContinuousClock.now
        var warned = false
        while !parkingJobs.offer(job) {
            if parkingJobs.isFinished || Task.isCancelled { return }
            if !warned, ContinuousClock.now - started > .seconds(10) {
                warned = true
                // The whole lane waits here: say so, a stall must never be silent.
                lane.logger.warning("parking queue full for 10 s: the lane waits for its parking workers",
                                    metadata: ["parkingQueue": "\(parkingJobs.count)"])
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    private func park(_ job: ParkingJob) async {
        switch job {
        case .deadLetter(let message, let ticket, let orderID, let attempts, let reason):
            await lane.park(message, ticket: ticket, orderID: orderID, rewardType: nil, attempts: attempts, deadLetter: reason)
        case .retry(let record, let delay, let reason):
            await lane.park(record, retryAfter: delay, passes: record.retryTopicPasses, reason: reason)
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

    /// Retry-topic records wait out their delay, measured on this process's clock from when they
    /// were read (and for room in their type's queue); meanwhile their partition is paused so
    /// nothing piles up behind them in memory.
    private func deliverWhenDue(_ record: ConsumedRecord, after delayMilliseconds: Int64, to worker: RewardTypeWorker) async {
        if delayMilliseconds <= 0, worker.queue.offer(record) { return }
        let partition = record.message.topicPartition
        lane.pauses.set(partition, .retryWait, true)
        Task {
            let watchdog = Task { [lane] in
                try await Task.sleep(for: .milliseconds(delayMilliseconds) + .seconds(15))
                lane.logger.warning("a retry-topic record has waited 15 s past its delay", metadata: ["partition": "\(partition)"])
            }
            defer { watchdog.cancel() }
            if delayMilliseconds > 0 { try? await Task.sleep(for: .milliseconds(delayMilliseconds)) }
            while !worker.queue.offer(record) {
                if worker.queue.isFinished { return }
                try? await Task.sleep(for: .milliseconds(50))
            }
            // Resume only with room for a fetch's worth: resumed at the first free slot, the next
            // record found the queue full and paused the partition again, so a saturated type's
            // spill came back one record per pause/fetch cycle (a 12,000-prize backlog on one
            // cluster drained at 3% of the partner's rate).
            while worker.queue.count > worker.queue.capacity / 2, !worker.queue.isFinished {
                try? await Task.sleep(for: .milliseconds(50))
            }
            self.lane.pauses.set(partition, .retryWait, false)
        }
    }

    /// Pauses every owned partition while the lane holds more records or bytes than it may;
    /// resumes below half of both. Runs on every event and on a timer.
    private func applyLaneBackpressure() {
        let inFlight = lane.offsets.inFlightCount
        let bytes = lane.offsets.inFlightBytes
        lane.metrics.inFlight(inFlight)
        lane.metrics.inFlightBytes(bytes)
        let settings = lane.settings
        let over = inFlight >= settings.maximumInFlight || bytes >= settings.maximumInFlightBytes
        let underHalf = inFlight <= settings.maximumInFlight / 2 && bytes <= settings.maximumInFlightBytes / 2
        let paused = lane.pauses.lanePaused
        guard (over && !paused) || (underHalf && paused) else { return }
        lane.pauses.setLane(over)
        lane.metrics.paused(over)
        lane.logger.info(over ? "lane saturated: partitions paused" : "lane drained: partitions resumed",
                         metadata: ["inFlight": "\(inFlight)", "bytes": "\(bytes)"])
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
