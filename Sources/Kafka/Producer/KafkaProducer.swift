internal import CRdKafka
public import Logging
import Synchronization

/// An idempotent, `acks=all` producer for one cluster, with a delivery result for every record.
///
/// `send` hands the record to librdkafka and returns at once; the result arrives when the cluster
/// acknowledges the record (with its partition and offset) or when delivery fails for good (a
/// ``KafkaError`` saying whether it is retriable or fatal). A dedicated thread serves delivery
/// reports, so no result waits on Swift's cooperative pool.
public final class KafkaProducer: Sendable {
    public typealias DeliveryHandler = @Sendable (Result<KafkaDeliveryReport, KafkaError>) -> Void

    private let handle: RdKafkaHandle
    private let callbacks: RdKafkaCallbacks
    private let pollLoop: PollLoop
    private let topics: Locked<[String: RdKafkaHandle]>
    private let closed = AtomicFlag()
    private let callsInProgress = Atomic<Int>(0)
    private let destroyed = AtomicFlag()
    let logger: Logger
    /// Statistics from librdkafka, when ``KafkaProducerConfiguration/statisticsInterval`` is set.
    public let statistics: KafkaStatisticsReporter?

    /// Creates the producer and starts its delivery-report thread.
    /// - Throws: ``KafkaError`` with ``KafkaError/Code/invalidConfiguration`` for a bad property.
    public init(configuration: KafkaProducerConfiguration, logger: Logger) throws(KafkaError) {
        let properties = try configuration.properties()
        let statistics = configuration.statisticsInterval == nil ? nil : KafkaStatisticsReporter(client: configuration.clientID)
        let callbacks = RdKafkaCallbacks(logger: logger, statistics: statistics)
        let conf = try RdKafkaConfig.make(properties)
        callbacks.install(on: conf)
        rd_kafka_conf_set_dr_msg_cb(conf) { rk, message, _ in
            guard let message, let opaque = message.pointee._private else { return }
            let delivery = Unmanaged<PendingDelivery>.fromOpaque(opaque).takeRetainedValue()
            delivery.complete(message: message, handle: rk)
        }
        let rk = try RdKafkaConfig.newClient(type: RD_KAFKA_PRODUCER, conf: conf)
        let handle = RdKafkaHandle(rk)
        self.handle = handle
        self.callbacks = callbacks
        self.statistics = statistics
        self.logger = logger
        self.topics = Locked([:])
        self.pollLoop = PollLoop(name: "kafka-producer-\(configuration.clientID)") {
            rd_kafka_poll(handle.pointer, 100)
        }
    }

    deinit {
        // A backstop for a producer dropped without `shutdown`: nothing is in a call (a call
        // holds a reference), so release at once, off the cooperative pool.
        guard !destroyed.testAndSet() else { return }
        let (handle, pollLoop, topics, callbacks) = (self.handle, self.pollLoop, self.topics, self.callbacks)
        releaseOffPool("producer") {
            Self.release(handle: handle, pollLoop: pollLoop, topics: topics, callbacks: callbacks)
        }
    }

    /// Hands one record to the producer; `onDelivery` runs once, on the delivery thread.
    ///
    /// - Throws: ``KafkaError`` when the record could not even be queued: ``KafkaError/Code/queueFull``
    ///   (retriable), an unknown topic or partition, a record too large, or a shut-down producer.
    ///   When this throws, `onDelivery` is never called.
    public func send(_ message: KafkaProducerMessage, onDelivery: @escaping DeliveryHandler) throws(KafkaError) {
        callsInProgress.add(1, ordering: .sequentiallyConsistent)
        defer { callsInProgress.subtract(1, ordering: .sequentiallyConsistent) }
        guard !closed.isSet, !destroyed.isSet else { throw KafkaError.shutDown("send") }

        let rkt = try topicHandle(message.topic)
        let delivery = Unmanaged.passRetained(PendingDelivery(topic: message.topic, handler: onDelivery))
        let headers = message.headers.isEmpty ? nil : Self.makeHeaders(message.headers)
        let err = message.key.withOptionalBytes { key in
            message.value.withOptionalBytes { value in
                crdkafka_produce(
                    handle.pointer, rkt.pointer, message.partition ?? RD_KAFKA_PARTITION_UA,
                    key.baseAddress, key.count, value.baseAddress, value.count,
                    headers, delivery.toOpaque()
                )
            }
        }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            delivery.release()
            if let headers { rd_kafka_headers_destroy(headers) }
            throw KafkaError(err, context: "produce to \(message.topic)", handle: handle.pointer)
        }
    }

    /// Produces one record and waits for the cluster's acknowledgement.
    /// - Returns: the partition and offset the record was stored at.
    /// - Throws: ``KafkaError`` from queueing or from delivery.
    public func send(_ message: KafkaProducerMessage) async throws -> KafkaDeliveryReport {
        try await withCheckedThrowingContinuation { continuation in
            do {
                try send(message) { result in continuation.resume(with: result) }
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }

    /// Waits until the producer can deliver to `topics` without first discovering the cluster: every
    /// topic exists with a leader for each partition and, when statistics are on, the idempotent
    /// producer holds its producer id and every broker is connected.
    /// - Throws: ``KafkaError`` ``KafkaError/Code/unknownTopic`` for a topic the cluster does not
    ///   have (a permanent configuration error), ``KafkaError/Code/timedOut`` when `timeout` passes first.
    public func waitUntilReady(topics: [String], timeout: Duration) async throws(KafkaError) {
        let deadline = ContinuousClock.now + timeout
        let handle = self.handle
        var missing: [String] = topics
        while true {
            let left = max(Int32(1), Int32(clamping: (deadline - ContinuousClock.now).milliseconds))
            let names = missing
            let result: Result<[String], KafkaError>
            do {
                result = .success(try await offload { () throws(KafkaError) -> [String] in
                    try Self.topicsWithoutLeaders(names, handle: handle.pointer, timeoutMilliseconds: min(left, 1_000))
                })
            } catch let error as KafkaError {
                result = .failure(error)
            } catch {
                result = .failure(KafkaError(code: .timedOut, message: "metadata: \(error)"))
            }
            switch result {
            case .success(let notReady): missing = notReady
            case .failure(let error) where error.code == .unknownTopic || error.code == .unknownTopicOrPartition: throw error
            case .failure: break  // not connected yet: try again
            }
            let idempotent = statistics.map { $0.latest.idempotenceState == "Assigned" && $0.latest.brokersUp == $0.latest.brokers }
            if missing.isEmpty, idempotent ?? true { return }
            guard ContinuousClock.now < deadline else {
                throw KafkaError(code: .timedOut, message: missing.isEmpty
                    ? "the idempotent producer got no producer id, or not every broker connected, within \(timeout)"
                    : "no leader known for every partition of \(missing.joined(separator: ", ")) within \(timeout)")
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The topics among `names` that have a partition without a leader; throws for one that does not exist.
    private static func topicsWithoutLeaders(_ names: [String], handle: OpaquePointer, timeoutMilliseconds: Int32)
        throws(KafkaError) -> [String]
    {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(handle, 1, nil, &metadata, timeoutMilliseconds)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { throw KafkaError(err, context: "metadata") }
        defer { rd_kafka_metadata_destroy(metadata) }
        var notReady: [String] = []
        for name in names {
            var found = false
            for index in 0..<Int(metadata.pointee.topic_cnt) {
                let topic = metadata.pointee.topics[index]
                guard String(cString: topic.topic) == name else { continue }
                found = topic.err == RD_KAFKA_RESP_ERR_NO_ERROR && topic.partition_cnt > 0
                if found, (0..<Int(topic.partition_cnt)).contains(where: { topic.partitions[$0].leader < 0 }) {
                    notReady.append(name)
                }
            }
            guard found else {
                throw KafkaError(code: .unknownTopic, message: "topic \(name) does not exist on this cluster")
            }
        }
        return notReady
    }

    /// Records queued or in flight that have no delivery result yet.
    public var outstandingMessages: Int {
        withLiveHandle(0) { Int(rd_kafka_outq_len($0)) }
    }

    /// Whether librdkafka raised a fatal error; such a producer must be replaced.
    public var hasFatalError: Bool {
        withLiveHandle(false) { rd_kafka_fatal_error($0, nil, 0) != RD_KAFKA_RESP_ERR_NO_ERROR }
    }

    /// Waits until every queued record has a delivery result, or `timeout` passes.
    /// - Returns: `true` when nothing is left outstanding.
    @discardableResult
    public func flush(timeout: Duration) async -> Bool {
        callsInProgress.add(1, ordering: .sequentiallyConsistent)
        defer { callsInProgress.subtract(1, ordering: .sequentiallyConsistent) }
        guard !destroyed.isSet else { return outstandingMessages == 0 }
        let handle = self.handle
        let result = try? await offload { rd_kafka_flush(handle.pointer, Int32(clamping: timeout.milliseconds)) }
        return result == RD_KAFKA_RESP_ERR_NO_ERROR
    }

    /// Stops accepting records, waits up to `timeout` for outstanding ones, then fails the rest
    /// (their handlers see a retriable purge error) and releases the client.
    public func shutdown(timeout: Duration = .seconds(10)) async {
        closed.set()
        if !(await flush(timeout: timeout)) {
            logger.warning("producer shut down with records still unacknowledged; they fail with a purge error",
                           metadata: ["outstanding": "\(outstandingMessages)"])
        }
        guard !destroyed.testAndSet() else { return }
        // Calls that saw the handle alive finish before it is freed; later ones see `destroyed`.
        while callsInProgress.load(ordering: .sequentiallyConsistent) > 0 { await Task.yield() }
        let (handle, pollLoop, topics, callbacks) = (self.handle, self.pollLoop, self.topics, self.callbacks)
        _ = try? await offload {
            Self.release(handle: handle, pollLoop: pollLoop, topics: topics, callbacks: callbacks)
        }
    }

    private func withLiveHandle<T>(_ fallback: T, _ body: (OpaquePointer) -> T) -> T {
        callsInProgress.add(1, ordering: .sequentiallyConsistent)
        defer { callsInProgress.subtract(1, ordering: .sequentiallyConsistent) }
        return destroyed.isSet ? fallback : body(handle.pointer)
    }

    /// Fails whatever is still queued with a purge error (never silence), then frees the client.
    private static func release(
        handle: RdKafkaHandle, pollLoop: PollLoop, topics: Locked<[String: RdKafkaHandle]>, callbacks: RdKafkaCallbacks
    ) {
        pollLoop.stop()
        rd_kafka_purge(handle.pointer, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
        while rd_kafka_outq_len(handle.pointer) > 0, rd_kafka_poll(handle.pointer, 10) > 0 {}
        rd_kafka_poll(handle.pointer, 0)
        topics.withLock { topics in
            for rkt in topics.values { rd_kafka_topic_destroy(rkt.pointer) }
            topics.removeAll()
        }
        rd_kafka_destroy(handle.pointer)
        _ = callbacks  // kept alive until here: librdkafka's opaque points at it
    }

    private func topicHandle(_ name: String) throws(KafkaError) -> RdKafkaHandle {
        let result: RdKafkaHandle? = topics.withLock { topics in
            if let existing = topics[name] { return existing }
            guard let rkt = rd_kafka_topic_new(handle.pointer, name, nil) else { return nil }
            let created = RdKafkaHandle(rkt)
            topics[name] = created
            return created
        }
        guard let result else {
            throw KafkaError(rd_kafka_last_error(), context: "topic handle for \(name)", handle: handle.pointer)
        }
        return result
    }

    private static func makeHeaders(_ headers: [KafkaHeader]) -> OpaquePointer? {
        let list = rd_kafka_headers_new(headers.count)
        for header in headers {
            header.value.withOptionalBytes { value in
                _ = rd_kafka_header_add(list, header.name, -1, value.baseAddress, value.baseAddress == nil ? 0 : value.count)
            }
        }
        return list
    }
}

/// The handler of one record in flight; retained through librdkafka's per-message opaque.
private final class PendingDelivery {
    let topic: String
    let handler: KafkaProducer.DeliveryHandler

    init(topic: String, handler: @escaping KafkaProducer.DeliveryHandler) {
        self.topic = topic
        self.handler = handler
    }

    func complete(message: UnsafePointer<rd_kafka_message_t>, handle rk: OpaquePointer?) {
        let m = message.pointee
        if m.err == RD_KAFKA_RESP_ERR_NO_ERROR {
            handler(.success(KafkaDeliveryReport(topic: topic, partition: m.partition, offset: m.offset)))
            return
        }
        var error = KafkaError(m.err, context: "delivery to \(topic)", handle: rk)
        if rd_kafka_message_status(message) == RD_KAFKA_MSG_STATUS_POSSIBLY_PERSISTED {
            error.message += " (the record may have been stored: a retry can duplicate it)"
        }
        handler(.failure(error))
    }
}
