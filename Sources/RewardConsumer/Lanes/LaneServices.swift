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
    let tokens: ConsumerTokenRecorder
    let metrics: ConsumerMetrics
    let logger: Logger

    init(cluster: String, settings: ConsumerSettings, engine: SettlementEngine, limiter: RewardRateLimiter, parking: Parking,
         offsets: PartitionOffsets, tokens: ConsumerTokenRecorder, metrics: ConsumerMetrics, logger: Logger) {
        self.cluster = cluster
        self.settings = settings
        self.engine = engine
        self.limiter = limiter
        self.parking = parking
        self.offsets = offsets
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
        await untilDone("dead-letter") {
            try await self.parking.toDeadLetter(message, orderID: orderID, rewardType: rewardType, attempts: attempts, reason: reason)
        }
        offsets.finish(ticket)
    }

    /// Sends the record through the retry topic, then lets its offset go.
    func park(_ record: ConsumedRecord, retryAfter delay: Duration, passes: Int, reason: String) async {
        await untilDone("retry topic") {
            try await self.parking.toRetryTopic(record.message, attempts: record.attempts, passes: passes,
                                                notBefore: .now + delay, reason: reason)
        }
        offsets.finish(record.ticket)
    }

    /// Parking must not fail open: keep trying with backoff; the offset stays uncommitted meanwhile,
    /// so a crash here means the record is consumed again, never lost.
    private func untilDone(_ what: String, _ body: @Sendable () async throws -> Void) async {
        var delay = Duration.milliseconds(100)
        while true {
            do {
                try await body()
                return
            } catch {
                logger.error("parking a record failed; retrying", metadata: ["to": "\(what)", "error": "\(error)"])
                if Task.isCancelled { return }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }
}
