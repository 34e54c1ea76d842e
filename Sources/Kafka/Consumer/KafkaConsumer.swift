internal import CRdKafka
import Dispatch
public import Logging
import Synchronization

/// A consumer-group member with manual offset commits, read as an `AsyncSequence`.
///
/// Records are pulled: each ``events`` iteration step hops to this consumer's own polling queue
/// and brings back up to ``KafkaConsumerConfiguration/pollBatchSize`` records, so nothing is
/// buffered beyond what the caller asks for. Offsets move only when the caller commits them.
/// One task iterates ``events`` (or ``messages``); commits, pause and resume may come from any task.
public final class KafkaConsumer: Sendable {
    private let handle: RdKafkaHandle
    private let callbacks: RdKafkaCallbacks
    /// Serialises polls and the final close, which librdkafka requires not to overlap.
    private let pollQueue: DispatchQueue
    private let inbox = Locked<[KafkaConsumerEvent]>([])
    private let closed = AtomicFlag()
    private let destroyed = AtomicFlag()
    let configuration: KafkaConsumerConfiguration
    let logger: Logger
    /// Statistics from librdkafka (including its own view of lag per partition).
    public let statistics: KafkaStatisticsReporter?

    /// Creates a consumer; it joins its group on ``subscribe(topics:)`` or reads fixed
    /// partitions after ``assign(_:)``.
    /// - Throws: ``KafkaError`` with ``KafkaError/Code/invalidConfiguration`` for a bad property.
    public init(configuration: KafkaConsumerConfiguration, logger: Logger) throws(KafkaError) {
        let properties = try configuration.properties()
        let statistics = configuration.statisticsInterval == nil
            ? nil : KafkaStatisticsReporter(client: "\(configuration.clientID)-\(configuration.groupID)")
        let callbacks = RdKafkaCallbacks(logger: logger, statistics: statistics)
        let conf = try RdKafkaConfig.make(properties)
        callbacks.install(on: conf)
        rd_kafka_conf_set_rebalance_cb(conf) { rk, err, partitions, _ in
            guard let rk, let callbacks = RdKafkaCallbacks.from(rk) else { return }
            callbacks.onRebalance(rk, err, partitions)
        }
        rd_kafka_conf_set_offset_commit_cb(conf) { rk, err, offsets, _ in
            guard let rk, let callbacks = RdKafkaCallbacks.from(rk) else { return }
            let failed = TopicPartitionList.read(offsets).filter { $0.error != RD_KAFKA_RESP_ERR_NO_ERROR }
            if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET || !failed.isEmpty {
                callbacks.logger.warning("offset commit failed", metadata: [
                    "code": "\(KafkaError.Code(err))", "partitions": "\(failed.map { "\($0.partition)" })",
                ])
            }
        }
        let rk = try RdKafkaConfig.newClient(type: RD_KAFKA_CONSUMER, conf: conf)
        // Serve rebalances, logs and errors from the same poll that returns records.
        rd_kafka_poll_set_consumer(rk)
        self.handle = RdKafkaHandle(rk)
        self.callbacks = callbacks
        self.configuration = configuration
        self.logger = logger
        self.statistics = statistics
        self.pollQueue = DispatchQueue(label: "kafka-consumer-\(configuration.groupID)")
        callbacks.setRebalanceHandler { [inbox] rk, err, partitions in
            Self.rebalance(rk, err, partitions, inbox: inbox, logger: logger)
        }
    }

    deinit {
        guard !destroyed.testAndSet() else { return }
        let (handle, callbacks) = (self.handle, self.callbacks)
        releaseOffPool("consumer") {
            rd_kafka_consumer_close(handle.pointer)
            rd_kafka_destroy(handle.pointer)
            _ = callbacks
        }
    }

    /// Joins the group for these topics; partitions arrive as ``KafkaConsumerEvent/partitionsAssigned(_:)``.
    public func subscribe(topics: [String]) throws(KafkaError) {
        let list = TopicPartitionList(capacity: topics.count)
        for topic in topics { list.add(KafkaTopicPartition(topic: topic, partition: RD_KAFKA_PARTITION_UA), offset: nil) }
        let err = rd_kafka_subscribe(handle.pointer, list.pointer)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "subscribe \(topics)") }
    }

    /// Reads fixed partitions from the given offsets, outside group management (drains, tools).
    /// Commits still go to ``KafkaConsumerConfiguration/groupID``.
    public func assign(_ offsets: [KafkaTopicPartition: Int64]) throws(KafkaError) {
        let list = TopicPartitionList(offsets: offsets)
        let err = rd_kafka_assign(handle.pointer, list.pointer)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "assign") }
    }

    /// The partitions this member owns now.
    public func assignment() throws(KafkaError) -> [KafkaTopicPartition] {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        let err = rd_kafka_assignment(handle.pointer, &list)
        defer { if let list { rd_kafka_topic_partition_list_destroy(list) } }
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "assignment") }
        return TopicPartitionList.read(list).map(\.partition).sorted()
    }

    /// Stops fetching these partitions until ``resume(_:)``. Records already returned by the
    /// current iteration step still arrive; librdkafka re-fetches the rest from the position.
    public func pause(_ partitions: [KafkaTopicPartition]) throws(KafkaError) {
        guard !partitions.isEmpty else { return }
        let list = TopicPartitionList(partitions)
        let err = rd_kafka_pause_partitions(handle.pointer, list.pointer)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "pause") }
    }

    /// Fetches these paused partitions again.
    public func resume(_ partitions: [KafkaTopicPartition]) throws(KafkaError) {
        guard !partitions.isEmpty else { return }
        let list = TopicPartitionList(partitions)
        let err = rd_kafka_resume_partitions(handle.pointer, list.pointer)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "resume") }
    }

    /// Commits, and waits for the group coordinator to confirm.
    /// - Parameter offsets: for each partition, the offset of the *next* record to read
    ///   (the last processed offset + 1), as Kafka defines committed offsets.
    /// - Throws: ``KafkaError``; a commit refused after a rebalance is retriable.
    public func commit(_ offsets: [KafkaTopicPartition: Int64]) async throws {
        guard !offsets.isEmpty else { return }
        let handle = self.handle
        try checkOpen("commit")
        try await offload {
            let list = TopicPartitionList(offsets: offsets)
            let err = rd_kafka_commit(handle.pointer, list.pointer, 0)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "commit") }
            if let failed = list.elements.first(where: { $0.error != RD_KAFKA_RESP_ERR_NO_ERROR }) {
                throw KafkaError(failed.error, context: "commit \(failed.partition)")
            }
        }
    }

    /// Commits without waiting; a failure is logged. Use where a later commit supersedes this one.
    public func commitAsync(_ offsets: [KafkaTopicPartition: Int64]) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        try checkOpen("commit")
        let list = TopicPartitionList(offsets: offsets)
        let err = rd_kafka_commit(handle.pointer, list.pointer, 1)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "commit") }
    }

    /// The group's committed offsets for these partitions (`nil`: nothing committed yet).
    public func committed(_ partitions: [KafkaTopicPartition], timeout: Duration = .seconds(10)) async throws
        -> [KafkaTopicPartition: Int64?]
    {
        try checkOpen("committed")
        let handle = self.handle
        return try await offload {
            let list = TopicPartitionList(partitions)
            let err = rd_kafka_committed(handle.pointer, list.pointer, Int32(clamping: timeout.milliseconds))
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "committed offsets") }
            var result: [KafkaTopicPartition: Int64?] = [:]
            for element in list.elements {
                result[element.partition] = element.offset >= 0 ? element.offset : nil
            }
            return result
        }
    }

    /// Leaves the group (revoking partitions) and releases the client. Iteration ends with `nil`.
    /// Commit what you have settled before calling this.
    public func close() async {
        closed.set()
        let handle = self.handle
        let destroyed = self.destroyed
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            pollQueue.async {
                if !destroyed.testAndSet() {
                    rd_kafka_consumer_close(handle.pointer)
                    rd_kafka_destroy(handle.pointer)
                }
                continuation.resume()
            }
        }
    }

    /// Records and partition changes, in the order librdkafka produced them.
    public var events: KafkaConsumerEvents { KafkaConsumerEvents(consumer: self) }

    /// Only the records; partition changes are dropped. Convenient where the caller does not track ownership.
    public var messages: KafkaConsumerMessages { KafkaConsumerMessages(events: events) }

    private func checkOpen(_ what: String) throws(KafkaError) {
        guard !closed.isSet else { throw KafkaError.shutDown(what) }
    }

    /// One hop to the polling queue: waits up to `timeout` for the first event, then takes
    /// whatever else is ready, up to the batch size. Returns `nil` once the consumer is closed.
    func poll(timeout: Duration) async throws -> [KafkaConsumerEvent]? {
        if closed.isSet { return nil }
        let handle = self.handle
        let inbox = self.inbox
        let destroyed = self.destroyed
        let logger = self.logger
        let batchSize = max(1, configuration.pollBatchSize)
        return try await withCheckedThrowingContinuation { continuation in
            pollQueue.async {
                if destroyed.isSet {
                    continuation.resume(returning: nil)
                    return
                }
                continuation.resume(with: Result {
                    try Self.drain(handle.pointer, timeout: timeout, batchSize: batchSize, inbox: inbox, logger: logger)
                })
            }
        }
    }

    private static func drain(
        _ rk: OpaquePointer, timeout: Duration, batchSize: Int, inbox: Locked<[KafkaConsumerEvent]>, logger: Logger
    ) throws(KafkaError) -> [KafkaConsumerEvent] {
        var waitMilliseconds = Int32(clamping: timeout.milliseconds)
        var taken = 0
        while taken < batchSize, let message = rd_kafka_consumer_poll(rk, waitMilliseconds) {
            defer { rd_kafka_message_destroy(message) }
            waitMilliseconds = 0
            if message.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                try consumerError(message, handle: rk, logger: logger)
                continue
            }
            let copy = KafkaConsumerMessage(copying: message)
            inbox.withLock { $0.append(.message(copy)) }
            taken += 1
        }
        return inbox.withLock { events in
            defer { events.removeAll(keepingCapacity: true) }
            return events
        }
    }

    /// Errors that arrive as messages: fatal ones and out-of-range offsets stop the consumer,
    /// the rest (a broker restarting, a topic not yet created) are logged and waited out.
    private static func consumerError(
        _ message: UnsafeMutablePointer<rd_kafka_message_t>, handle rk: OpaquePointer, logger: Logger
    ) throws(KafkaError) {
        let err = message.pointee.err
        let topic = message.pointee.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "-"
        let where_ = "\(topic)/\(message.pointee.partition)"
        let detail = rd_kafka_message_errstr(message).map { String(cString: $0) } ?? ""
        switch err {
        case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET, RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
            throw KafkaError(
                code: .offsetOutOfRange,
                message: "\(where_): committed offset \(message.pointee.offset) is outside the log (\(detail)); "
                    + "nothing was skipped. Decide where to resume before restarting: `reward-admin offsets show`, "
                    + "ops/runbook.md \"A lane halted\"",
                isRetriable: false)
        case RD_KAFKA_RESP_ERR__FATAL:
            throw KafkaError(err, context: "consumer \(where_)", handle: rk)
        default:
            logger.warning("consumer error", metadata: [
                "code": "\(KafkaError.Code(err))", "partition": "\(where_)", "detail": "\(detail)",
            ])
        }
    }

    private static func rebalance(
        _ rk: OpaquePointer, _ err: rd_kafka_resp_err_t,
        _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
        inbox: Locked<[KafkaConsumerEvent]>, logger: Logger
    ) {
        let changed = TopicPartitionList.read(partitions).map(\.partition).sorted()
        // NULL while the client is closing (a rebalance during shutdown): a crash on SIGTERM in
        // seed 5 of `reward-bench chaos`. Eager is the safe reading: assign and revoke in full.
        let cooperative = rd_kafka_rebalance_protocol(rk).map { String(cString: $0) } == "COOPERATIVE"
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            startNeverCommitted(rk, partitions, logger: logger)
            if cooperative {
                if let error = rd_kafka_incremental_assign(rk, partitions) { rd_kafka_error_destroy(error) }
            } else {
                rd_kafka_assign(rk, partitions)
            }
            logger.info("partitions assigned", metadata: ["partitions": "\(changed.map(\.description))"])
            inbox.withLock { $0.append(.partitionsAssigned(changed)) }
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            logger.info("partitions revoked", metadata: ["partitions": "\(changed.map(\.description))"])
            inbox.withLock { $0.append(.partitionsRevoked(changed)) }
            if cooperative {
                if let error = rd_kafka_incremental_unassign(rk, partitions) { rd_kafka_error_destroy(error) }
            } else {
                rd_kafka_assign(rk, nil)
            }
        default:
            logger.error("rebalance failed", metadata: ["code": "\(KafkaError.Code(err))"])
            inbox.withLock { $0.append(.partitionsRevoked(changed)) }
            rd_kafka_assign(rk, nil)
        }
    }
}

extension KafkaConsumer {
    /// librdkafka applies `auto.offset.reset` both to a partition the group never committed and
    /// to a committed offset that fell outside the log. We want `error` only for the second:
    /// a new group must start at the beginning (skipping nothing), while a committed offset that
    /// no longer exists is a decision for a person. So before assigning, partitions without a
    /// committed offset are pointed at the log start explicitly.
    fileprivate static func startNeverCommitted(
        _ rk: OpaquePointer, _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, logger: Logger
    ) {
        guard let partitions, partitions.pointee.cnt > 0, let elems = partitions.pointee.elems else { return }
        guard let probe = rd_kafka_topic_partition_list_copy(partitions) else { return }
        defer { rd_kafka_topic_partition_list_destroy(probe) }
        let err = rd_kafka_committed(rk, probe, 10_000)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let probed = probe.pointee.elems else {
            // Leave the offsets unset: librdkafka fetches them itself and `error` applies.
            logger.warning("could not read committed offsets before assigning", metadata: ["code": "\(KafkaError.Code(err))"])
            return
        }
        for index in 0..<Int(partitions.pointee.cnt) where probed[index].err == RD_KAFKA_RESP_ERR_NO_ERROR {
            elems[index].offset = probed[index].offset == Int64(RD_KAFKA_OFFSET_INVALID)
                ? Int64(RD_KAFKA_OFFSET_BEGINNING) : probed[index].offset
        }
    }
}

extension KafkaConsumerMessage {
    /// Copies everything out of librdkafka's message; the caller destroys the original.
    init(copying message: UnsafeMutablePointer<rd_kafka_message_t>) {
        let m = message.pointee
        let topic = m.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
        let key = m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) }
        let value = m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) }
        var headers: [KafkaHeader] = []
        var list: OpaquePointer?
        if rd_kafka_message_headers(message, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list {
            var index = 0
            var name: UnsafePointer<CChar>?
            var valuePointer: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(list, index, &name, &valuePointer, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                let bytes = valuePointer.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }
                headers.append(KafkaHeader(name: name.map { String(cString: $0) } ?? "", value: bytes))
                index += 1
            }
        }
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)
        self.init(
            topic: topic, partition: m.partition, offset: m.offset, key: key, value: value, headers: headers,
            timestampMilliseconds: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp)
    }
}
