import Foundation
import Logging
import RewardCore
import RewardSettlement
import Synchronization

/// Settles one reward type of a lane: takes records from its own bounded queue, waits for the
/// type's rate-limit permits, settles batches through the engine, and finishes each record by
/// settling or parking it. Types never share a queue or a limiter, so a slow one delays only itself.
final class RewardTypeWorker: Sendable {
    let type: RewardType
    let queue: BoundedQueue<ConsumedRecord>
    /// Set while the queue stays full (see ``LaneConsumer``): its overflow is parked, not waited for.
    let saturated = Mutex(false)
    private let lane: LaneServices
    /// Permits are taken here for ledgers we call in batches; an HTTP ledger paces each request itself.
    private var pacesInWorker: Bool { !type.ledger.hasPrefix("http:") }

    init(type: RewardType, lane: LaneServices) {
        self.type = type
        self.lane = lane
        self.queue = BoundedQueue(capacity: lane.settings.queueCapacityPerType)
    }

    /// Runs until the queue is finished, then waits for batches already settling.
    func run() async {
        let batchSize = max(1, lane.settings.batchSize)
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            while let first = await queue.take() {
                let batch = [first] + queue.takeAvailable(batchSize - 1)
                if running >= lane.settings.concurrentBatchesPerType {
                    await group.next()
                    running -= 1
                }
                if pacesInWorker {
                    let started = ContinuousClock.now
                    let watchdog = Task { [lane, type] in
                        try await Task.sleep(for: .seconds(15))
                        lane.logger.warning("rate permits for a batch have taken 15 s", metadata: ["rewardType": "\(type.id)"])
                    }
                    for _ in batch { await lane.limiter.acquire(rewardType: type.id) }
                    watchdog.cancel()
                    let waited = ContinuousClock.now - started
                    lane.metrics.rateLimitWait(type: type.id, seconds: Double(waited.components.attoseconds) / 1e18
                        + Double(waited.components.seconds))
                }
                group.addTask { await self.settle(batch) }
                running += 1
            }
            await group.waitForAll()
        }
    }

    private func settle(_ batch: [ConsumedRecord]) async {
        let watchdog = Task { [lane, type] in
            try await Task.sleep(for: .seconds(15))
            lane.logger.warning("a settlement batch has taken 15 s", metadata: ["rewardType": "\(type.id)", "records": "\(batch.count)"])
        }
        defer { watchdog.cancel() }
        await lane.tokens.record(batch.map(\.event))
        let requests = batch.map { record in
            SettlementRequest(grant: record.grant, source: .consumer(
                cluster: lane.cluster, topic: record.message.topic, partition: record.message.partition, offset: record.message.offset))
        }
        let outcomes = await lane.engine.settle(requests)
        for (record, outcome) in zip(batch, outcomes) {
            await handle(outcome, for: record)
        }
    }

    private func handle(_ outcome: SettlementOutcome, for record: ConsumedRecord) async {
        switch outcome {
        case .credited:
            lane.metrics.settled(type: type.id, outcome: "credited")
            lane.offsets.finish(record.ticket)
        case .alreadyCredited:
            lane.metrics.settled(type: type.id, outcome: "duplicate")
            lane.offsets.finish(record.ticket)
        case .conflict:
            lane.metrics.settled(type: type.id, outcome: "conflict")
            await lane.park(record, deadLetter: Rejection(
                code: "order_id_conflict", message: "order id reused with another user, type or amount; refused and recorded"))
        case .heldForBudget(let message):
            lane.metrics.settled(type: type.id, outcome: "held_for_budget")
            await lane.park(record, deadLetter: Rejection(code: "held_for_budget", message: message))
        case .permanent(let code, let message):
            lane.metrics.settled(type: type.id, outcome: "permanent")
            lane.metrics.finalFailure(reason: code)
            await lane.park(record, deadLetter: Rejection(code: code, message: message))
        case .retriable(let reason):
            lane.metrics.settled(type: type.id, outcome: "retriable")
            await retry(record, reason: reason)
        }
    }

    /// Retries in the process with jittered exponential backoff, then through the retry topic,
    /// then gives up to the dead-letter topic.
    private func retry(_ record: ConsumedRecord, reason: String) async {
        var next = record
        next.attempts += 1
        if next.attempts % lane.settings.inProcessAttempts != 0 {
            lane.metrics.retried(type: type.id, via: "process")
            let ceiling = lane.settings.retryBackoff * (1 << min(next.attempts, 6))
            let jitter = Double.random(in: 0...1)
            let queue = self.queue
            Task {
                try? await Task.sleep(for: ceiling * jitter)
                // Already counted in flight, so it may exceed the queue's bound.
                _ = queue.offer(next, force: true)
            }
            return
        }
        guard next.retryTopicPasses < lane.settings.retryTopicPasses else {
            lane.metrics.finalFailure(reason: "retries_exhausted")
            await lane.park(next, deadLetter: Rejection(
                code: "retries_exhausted", message: "still failing after \(next.attempts) attempts: \(reason)"))
            return
        }
        lane.metrics.retried(type: type.id, via: "retry_topic")
        await lane.park(next, retryAfter: lane.settings.retryTopicDelay, passes: next.retryTopicPasses + 1, reason: reason)
    }
}
