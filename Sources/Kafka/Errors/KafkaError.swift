internal import CRdKafka

/// An error from Kafka: a librdkafka error code, or one of ours, with how a caller should react.
///
/// `isRetriable` means the same operation may succeed if tried again (a broker was down, a queue
/// was full, a deadline passed). `isFatal` means this client instance can no longer be used and
/// must be recreated (an idempotent producer that lost its guarantees).
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as a value callers can switch on.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// librdkafka's `rd_kafka_resp_err_t` value, or a value below -1000 for our own codes.
        public let rawValue: Int32

        public init(rawValue: Int32) { self.rawValue = rawValue }
        init(_ err: rd_kafka_resp_err_t) { self.rawValue = err.rawValue }

        public var description: String {
            if let own = Code.ownNames[rawValue] { return own }
            return String(cString: rd_kafka_err2name(rd_kafka_resp_err_t(rawValue: rawValue)))
        }

        public static let queueFull = Code(RD_KAFKA_RESP_ERR__QUEUE_FULL)
        public static let messageTimedOut = Code(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT)
        public static let timedOut = Code(RD_KAFKA_RESP_ERR__TIMED_OUT)
        public static let transport = Code(RD_KAFKA_RESP_ERR__TRANSPORT)
        public static let allBrokersDown = Code(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        /// The committed offset is outside the log and `auto.offset.reset=error`: nothing was skipped.
        public static let offsetOutOfRange = Code(RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET)
        public static let unknownTopicOrPartition = Code(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        public static let unknownTopic = Code(RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC)
        public static let unknownPartition = Code(RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION)
        public static let topicAlreadyExists = Code(RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        /// The cluster does not implement the request (librdkafka's mock clusters lack most admin APIs).
        public static let unsupportedFeature = Code(RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE)
        public static let messageSizeTooLarge = Code(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
        public static let invalidMessageSize = Code(RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE)
        public static let recordListTooLarge = Code(RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE)
        /// The broker refused a record as malformed (a null key on a compacted topic, a bad timestamp...).
        public static let invalidRecord = Code(RD_KAFKA_RESP_ERR_INVALID_RECORD)
        public static let invalidTimestamp = Code(RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP)
        /// The topic name is not a valid Kafka topic name.
        public static let invalidTopic = Code(RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION)
        public static let topicAuthorizationFailed = Code(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED)
        public static let clusterAuthorizationFailed = Code(RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED)
        public static let policyViolation = Code(RD_KAFKA_RESP_ERR_POLICY_VIOLATION)
        public static let unsupportedForMessageFormat = Code(RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT)
        public static let unsupportedCompressionType = Code(RD_KAFKA_RESP_ERR_UNSUPPORTED_COMPRESSION_TYPE)
        public static let purgedFromQueue = Code(RD_KAFKA_RESP_ERR__PURGE_QUEUE)
        public static let purgedInFlight = Code(RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)
        public static let fatal = Code(RD_KAFKA_RESP_ERR__FATAL)
        public static let invalidArgument = Code(RD_KAFKA_RESP_ERR__INVALID_ARG)
        public static let rebalanceInProgress = Code(RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS)
        public static let illegalGeneration = Code(RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION)
        public static let unknownMemberID = Code(RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID)
        /// The consumer group has live members, so its offsets cannot be set from outside.
        public static let groupNotEmpty = Code(RD_KAFKA_RESP_ERR_NON_EMPTY_GROUP)
        public static let noOffset = Code(RD_KAFKA_RESP_ERR__NO_OFFSET)
        public static let wrongState = Code(RD_KAFKA_RESP_ERR__STATE)

        /// A configuration property was unknown or had an invalid value.
        public static let invalidConfiguration = Code(rawValue: -1001)
        /// The client was shut down before the operation could run.
        public static let shutDown = Code(rawValue: -1002)
        /// A reply from a mock cluster host (`reward-admin dev-kafka`) was an error or unreadable.
        public static let mockControl = Code(rawValue: -1003)

        private static let ownNames: [Int32: String] = [
            -1001: "INVALID_CONFIGURATION", -1002: "SHUT_DOWN", -1003: "MOCK_CONTROL",
        ]
    }

    public var code: Code
    /// A human-readable explanation; never contains message payloads.
    public var message: String
    public var isRetriable: Bool
    public var isFatal: Bool

    public init(code: Code, message: String, isRetriable: Bool = false, isFatal: Bool = false) {
        self.code = code
        self.message = message
        self.isRetriable = isRetriable
        self.isFatal = isFatal
    }

    /// The cluster refused the record and will refuse it again however often it is sent: the record
    /// is too large or malformed, or the topic does not exist or may not be written by this client.
    /// Sending it again loops; it needs a person (the SDK's spool replay quarantines it). A fatal
    /// error is never permanent in this sense: it is the client that must be rebuilt, not the record.
    public var isPermanent: Bool { !isFatal && !isRetriable && Code.permanent.contains(code) }

    public var description: String {
        var flags = ""
        if isFatal { flags = " (fatal)" } else if isRetriable { flags = " (retriable)" }
        return "KafkaError \(code)\(flags): \(message)"
    }
}

extension KafkaError.Code {
    /// Codes a producer gets for a record that no retry will change (see ``KafkaError/isPermanent``).
    static let permanent: Set<KafkaError.Code> = [
        .messageSizeTooLarge, .recordListTooLarge, .invalidRecord, .invalidTimestamp, .invalidTopic,
        .topicAuthorizationFailed, .clusterAuthorizationFailed, .policyViolation, .unsupportedForMessageFormat,
        .unsupportedCompressionType, .unknownTopicOrPartition, .unknownTopic, .unknownPartition, .invalidMessageSize,
    ]
}

extension KafkaError {
    /// Classifies a librdkafka response code; `rk` is consulted for the fatal-error reason.
    init(_ err: rd_kafka_resp_err_t, context: String, handle rk: OpaquePointer? = nil) {
        let code = Code(err)
        var message = context + ": " + String(cString: rd_kafka_err2str(err))
        var fatal = err == RD_KAFKA_RESP_ERR__FATAL
        if fatal, let rk {
            var reason = [CChar](repeating: 0, count: 512)
            let underlying = rd_kafka_fatal_error(rk, &reason, reason.count)
            if underlying != RD_KAFKA_RESP_ERR_NO_ERROR {
                message += " (underlying: \(String(cString: rd_kafka_err2name(underlying))): "
                    + String(decoding: reason.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + ")"
            }
            fatal = true
        }
        self.init(code: code, message: message, isRetriable: !fatal && Self.retriable.contains(err.rawValue), isFatal: fatal)
    }

    /// Codes after which the same request may succeed later.
    private static let retriable: Set<Int32> = [
        RD_KAFKA_RESP_ERR__QUEUE_FULL, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR__TIMED_OUT,
        RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__PURGE_QUEUE,
        RD_KAFKA_RESP_ERR__PURGE_INFLIGHT, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
        RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
        RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
        RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
        RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS,
        RD_KAFKA_RESP_ERR__WAIT_COORD, RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION,
    ].reduce(into: Set<Int32>()) { $0.insert($1.rawValue) }

    static func shutDown(_ what: String) -> KafkaError {
        KafkaError(code: .shutDown, message: "\(what): the client is shut down")
    }

    static func invalidConfiguration(_ message: String) -> KafkaError {
        KafkaError(code: .invalidConfiguration, message: message)
    }
}
