import Foundation
import Kafka
import Logging
import RewardSettlement

/// What every part of one lane consumer shares.
final class LaneServices: Sendable {
    let cluster: String
    let settings: ConsumerSettings
    let engine: SettlementEngine
    let limiter: RewardRateLimiter
    let parking: Parking
    let offsets: PartitionOffsets
    let pauses: PartitionPauses
    let tokens: ConsumerTokenRecorder
    let metrics: ConsumerMetrics
    let logger: Logger

    init(cluster: String, settings: ConsumerSettings, engine: SettlementEngine, limiter: RewardRateLimiter, parking: Parking,
         offsets: PartitionOffsets, pauses: PartitionPauses, tokens: ConsumerTokenRecorder, metrics: ConsumerMetrics, logger: Logger) {
        self.cluster = cluster
        self.settings = settings
        self.engine = engine
        self.limiter = limiter
        self.parking = parking
        self.offsets = offsets
        self.pauses = pauses
        self.tokens = tokens
        self.metrics = metrics
        self.logger = logger
    }

    /// Dead-letters the record, retrying the copy until it is safe, then lets its offset go.
    func park(_ record: ConsumedRecord, deadLetter reason: Rejection) async {
        await park(record.message, ticket: record.ticket, orderID: record.event.orderID.rawValue,
                   rewardType: record.event.bonus.rewardType, attempts: record.attempts, deadLetter: reason)
    }

    func park(_ message: KafkaConsumerMessage, ticket: PartitionOffsets.Ticket, orderID: String?, rewardType: String?,
              attempts: Int, deadLetter reason: Rejection) async {
        metrics.deadLettered(reason: reason.code)
        await untilDone("dead-letter", partition: message.topicPartition) {
            try await self.parking.toDeadLetter(message, orderID: orderID, rewardType: rewardType, attempts: attempts, reason: reason)
        }
        offsets.finish(ticket)
    }

    /// Sends the record through the retry topic, then lets its offset go.
    func park(_ record: ConsumedRecord, retryAfter delay: Duration, passes: Int, reason: String) async {
        await untilDone("retry topic", partition: record.message.topicPartition) {
            try await self.parking.toRetryTopic(record.message, attempts: record.attempts, passes: passes, delay: delay, reason: reason)
        }
        offsets.finish(record.ticket)
    }

    /// Parking must not fail open: keep trying with backoff; the offset stays uncommitted meanwhile,
    /// so a crash here means the record is consumed again, never lost. While it fails, the record's
    /// partition is paused (nothing new piles up behind it) and `reward_consumer_parking_blocked`
    /// says so; every failed try is logged at error level.
    private func untilDone(_ what: String, partition: KafkaTopicPartition, _ body: @Sendable () async throws -> Void) async {
        var delay = Duration.milliseconds(100)
        var blocked = false
        defer {
            if blocked {
                pauses.set(partition, .parkingBlocked, false)
                metrics.parkingBlocked(pauses.held(by: .parkingBlocked))
                logger.notice("parking works again; partition resumed", metadata: ["partition": "\(partition)"])
            }
        }
        let watchdog = Task { [logger] in
            try await Task.sleep(for: .seconds(15))
            logger.warning("parking a record has taken 15 s", metadata: ["to": "\(what)", "partition": "\(partition)"])
        }
        defer { watchdog.cancel() }
        while true {
            do {
                try await body()
                return
            } catch {
                logger.error("parking a record failed; its partition waits until it succeeds", metadata: [
                    "to": "\(what)", "partition": "\(partition)", "error": "\(error)",
                ])
                if !blocked {
                    blocked = true
                    pauses.set(partition, .parkingBlocked, true)
                    metrics.parkingBlocked(pauses.held(by: .parkingBlocked))
                }
                if Task.isCancelled { return }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }
}
