import Foundation
import Kafka
import Logging

/// Reads single records' timestamps (the oldest or the newest still in a log), best effort: a
/// partition it could not read in time is missing from the answer.
struct RecordProbe: Sendable {
    let connection: KafkaConnection
    let logger: Logger

    /// The write time (ms since the epoch) of the record at each offset of `topic`, by partition.
    func timestamps(_ topic: String, at offsets: [Int32: Int64], within limit: Duration = .seconds(10)) async -> [Int32: Int64] {
        guard !offsets.isEmpty else { return [:] }
        var configuration = KafkaConsumerConfiguration(connection: connection,
                                                       groupID: "reward-admin-probe-\(UUID().uuidString)")
        configuration.clientID = "reward-admin-offsets-probe"
        configuration.statisticsInterval = nil
        let consumer: KafkaConsumer
        do {
            consumer = try KafkaConsumer(configuration: configuration, logger: logger)
            try consumer.assign(Dictionary(uniqueKeysWithValues: offsets.map {
                (KafkaTopicPartition(topic: topic, partition: $0.key), $0.value)
            }))
        } catch {
            logger.notice("could not read record times", metadata: ["error": "\(error)"])
            return [:]
        }
        let logger = self.logger
        let reading = Task { () -> [Int32: Int64] in
            var seen = Set<Int32>()
            var times: [Int32: Int64] = [:]
            do {
                for try await message in consumer.messages {
                    guard let wanted = offsets[message.partition], message.offset >= wanted,
                          seen.insert(message.partition).inserted else { continue }
                    times[message.partition] = message.timestampMilliseconds
                    if seen.count == offsets.count { break }
                }
            } catch {
                // The log moved under the probe (an offset left it): report what was read.
                logger.notice("could not read record times", metadata: ["error": "\(error)"])
            }
            return times
        }
        // A partition that does not answer must not hang the command: close the consumer after a while.
        let watchdog = Task {
            try await Task.sleep(for: limit)
            await consumer.close()
        }
        let times = await reading.value
        watchdog.cancel()
        await consumer.close()
        return times
    }
}
