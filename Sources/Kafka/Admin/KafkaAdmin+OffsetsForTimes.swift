internal import CRdKafka

extension KafkaAdmin {
    /// For each partition, the earliest offset whose record timestamp is at or after the given
    /// time, or `nil` where no record is that recent (a consumer would start at the log end).
    ///
    /// librdkafka's mock clusters answer every lookup by time with "no such record" (`nil`),
    /// whatever the log holds: check a `nil` against the log before trusting it.
    /// - Parameter times: Milliseconds since the epoch per partition; must not be negative (Kafka
    ///   reads -1 and -2 as "latest" and "earliest").
    /// - Throws: ``KafkaError`` with ``KafkaError/Code/invalidArgument`` for a negative time;
    ///   Kafka errors, per partition too.
    public func offsetsForTimes(_ times: [KafkaTopicPartition: Int64]) async throws -> [KafkaTopicPartition: Int64?] {
        guard !times.isEmpty else { return [:] }
        if let negative = times.first(where: { $0.value < 0 }) {
            throw KafkaError(code: .invalidArgument, message: "offsets for times: \(negative.key) has a time before 1970")
        }
        let handle = self.handle
        let timeout = timeoutMilliseconds
        return try await offload {
            let list = TopicPartitionList(offsets: times)
            let err = rd_kafka_offsets_for_times(handle.pointer, list.pointer, timeout)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "offsets for times") }
            var offsets: [KafkaTopicPartition: Int64?] = [:]
            for element in list.elements {
                guard element.error == RD_KAFKA_RESP_ERR_NO_ERROR else {
                    throw KafkaError(element.error, context: "offsets for times of \(element.partition)")
                }
                offsets[element.partition] = element.offset >= 0 ? element.offset : nil
            }
            return offsets
        }
    }
}
