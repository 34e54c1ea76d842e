import Kafka

extension KafkaError {
    /// The cluster refused this record for good (too large, malformed, a topic that does not exist
    /// or may not be written): sending it to the same cluster again changes nothing.
    var refusesRecord: Bool {
        !isFatal && !isRetriable && Self.refusalCodes.contains(code.rawValue)
    }

    /// librdkafka's codes: MSG_SIZE_TOO_LARGE 10, UNKNOWN_TOPIC_OR_PART 3, RECORD_LIST_TOO_LARGE 18,
    /// TOPIC_AUTHORIZATION_FAILED 29, CLUSTER_AUTHORIZATION_FAILED 31, INVALID_RECORD 87, and the
    /// client-side unknown topic / partition (-188, -190).
    private static let refusalCodes: Set<Int32> = [10, 3, 18, 29, 31, 87, -188, -190]
}
