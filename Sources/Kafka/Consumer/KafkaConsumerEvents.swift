/// The consumer's records and partition changes as an `AsyncSequence`.
///
/// Iteration pulls: a step waits on the consumer's polling queue in 100 ms slices, so task
/// cancellation or ``KafkaConsumer/close()`` ends it promptly (returning `nil`). It throws
/// ``KafkaError`` for an out-of-range offset or a fatal client error.
public struct KafkaConsumerEvents: AsyncSequence, Sendable {
    public typealias Element = KafkaConsumerEvent
    let consumer: KafkaConsumer

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(consumer: consumer) }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let consumer: KafkaConsumer
        var buffered: [KafkaConsumerEvent] = []
        var index = 0

        public mutating func next() async throws -> KafkaConsumerEvent? {
            while index == buffered.count {
                if Task.isCancelled { return nil }
                guard let batch = try await consumer.poll(timeout: .milliseconds(100)) else { return nil }
                buffered = batch
                index = 0
            }
            defer { index += 1 }
            return buffered[index]
        }
    }
}

/// Only the records of a consumer's ``KafkaConsumerEvents``.
public struct KafkaConsumerMessages: AsyncSequence, Sendable {
    public typealias Element = KafkaConsumerMessage
    let events: KafkaConsumerEvents

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(events: events.makeAsyncIterator()) }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var events: KafkaConsumerEvents.AsyncIterator

        public mutating func next() async throws -> KafkaConsumerMessage? {
            while let event = try await events.next() {
                if case .message(let message) = event { return message }
            }
            return nil
        }
    }
}
