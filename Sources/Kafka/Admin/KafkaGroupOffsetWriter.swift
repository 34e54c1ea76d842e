internal import CRdKafka
import Foundation
public import Logging

/// Sets a consumer group's committed offsets from outside the service that owns the group.
///
/// Kafka accepts a commit from a non-member only while the group is empty, and librdkafka's mock
/// clusters refuse it for any group that ever had a member. So the writer joins the group itself,
/// subscribed to one topic, and commits only when the coordinator handed it *every* partition of
/// that topic: then no other member of that topic is alive, and the commit carries the writer's
/// generation, so a member that joins meanwhile fences it (the coordinator refuses the commit).
/// The writer reads no records: partitions are paused as they are assigned. It behaves the same on
/// real Kafka and on the mock clusters.
public struct KafkaGroupOffsetWriter: Sendable {
    /// The cluster and how to reach it (TLS, SASL, …).
    public var connection: KafkaConnection
    public var bootstrapServers: [String] { connection.bootstrapServers }
    public var groupID: String
    public var clientID = "reward-admin-offsets"
    /// The writer's session timeout: how long the group would keep a writer that died mid-way.
    /// The same as the group's consumers' (10 s by default), because a mock cluster rebalancing
    /// after a member left answers JoinGroups only once the *leaver's* session timeout (less 1 s)
    /// has passed, and meanwhile expires a joiner whose own session timeout is shorter: its
    /// JoinGroup then never gets an answer. Equal timeouts are safe both ways (the writer joining
    /// after a consumer left, and a consumer joining after the writer left).
    public var sessionTimeout: Duration = KafkaConsumerConfiguration.defaultSessionTimeout
    /// How long to wait for the coordinator to hand out partitions (a first join on an empty
    /// group waits out the broker's initial rebalance delay, 3 s by default; a group still
    /// rebalancing after a member left, up to that member's session timeout).
    public var joinTimeout: Duration = .seconds(60)

    public init(connection: KafkaConnection, groupID: String) {
        self.connection = connection
        self.groupID = groupID
    }

    /// A plaintext connection to `bootstrapServers` (the mock clusters).
    public init(bootstrapServers: [String], groupID: String) {
        self.init(connection: KafkaConnection(bootstrapServers: bootstrapServers), groupID: groupID)
    }

    /// Joins the group, commits `offsets` if the writer is its only member for `topic`, leaves.
    /// - Parameters:
    ///   - offsets: For each partition of `topic`, the next offset the group shall read.
    ///   - topic: The topic to subscribe to; every partition in `offsets` belongs to it.
    ///   - partitionCount: How many partitions `topic` has: the writer must be assigned all of them.
    /// - Returns: The group's committed offsets for those partitions, read back after the commit.
    /// - Throws: ``KafkaError`` with ``KafkaError/Code/groupNotEmpty`` when another member holds
    ///   partitions of the topic (nothing committed); a coordinator code
    ///   (``KafkaError/Code/rebalanceInProgress``, ``KafkaError/Code/illegalGeneration``,
    ///   ``KafkaError/Code/unknownMemberID``) when a member joined during the commit;
    ///   ``KafkaError/Code/timedOut`` when no assignment came within ``joinTimeout``;
    ///   ``KafkaError/Code/invalidArgument`` for a partition or offset that cannot be committed.
    public func commit(_ offsets: [KafkaTopicPartition: Int64], topic: String, partitionCount: Int, logger: Logger)
        async throws -> [KafkaTopicPartition: Int64?]
    {
        guard !offsets.isEmpty else { return [:] }
        if let bad = offsets.first(where: { $0.key.topic != topic || $0.key.partition < 0 || Int($0.key.partition) >= partitionCount
            || $0.value < 0 })
        {
            throw KafkaError(code: .invalidArgument, message: "cannot commit \(bad.value) for \(bad.key) (topic \(topic), \(partitionCount) partitions)")
        }
        let properties = try self.properties()
        let deadline = ContinuousClock.now + joinTimeout
        let group = groupID
        return try await offload {
            let session = try Session(properties: properties, logger: logger)
            defer { session.close() }
            try session.subscribe(topic)
            let assigned = try session.awaitAssignment(until: deadline, group: group)
            let wanted = Set((0..<Int32(clamping: partitionCount)).map { KafkaTopicPartition(topic: topic, partition: $0) })
            let held = Set(assigned.filter { $0.topic == topic })
            guard held == wanted else {
                throw KafkaError(code: .groupNotEmpty, message: """
                    group \(group) has other live members: the coordinator assigned this tool \(held.count) of the \
                    \(partitionCount) partitions of \(topic); nothing was committed
                    """)
            }
            return try session.commit(offsets, group: group)
        }
    }

    func properties() throws(KafkaError) -> [String: String] {
        guard !bootstrapServers.isEmpty else { throw KafkaError.invalidConfiguration("bootstrapServers is empty") }
        guard !groupID.isEmpty else { throw KafkaError.invalidConfiguration("groupID is empty") }
        let session = max(Int64(1000), sessionTimeout.milliseconds)
        return connection.applied(to: [
            "group.id": groupID,
            "client.id": clientID,
            "session.timeout.ms": String(session),
            "heartbeat.interval.ms": String(max(100, min(1000, session / 3))),
            "enable.auto.commit": "false",
            "enable.auto.offset.store": "false",
            "auto.offset.reset": "error",
            "allow.auto.create.topics": "false",
            "enable.partition.eof": "false",
            "queued.min.messages": "1",
        ])
    }
}

extension KafkaGroupOffsetWriter {
    /// One librdkafka consumer handle, used from a single blocking thread and closed there.
    private final class Session {
        private let handle: OpaquePointer
        private let callbacks: RdKafkaCallbacks
        /// Partitions the coordinator assigned; `nil` until the first assignment, or after a revoke.
        private let assigned: Locked<[KafkaTopicPartition]?>
        private let logger: Logger

        init(properties: [String: String], logger: Logger) throws(KafkaError) {
            let callbacks = RdKafkaCallbacks(logger: logger, statistics: nil)
            let conf = try RdKafkaConfig.make(properties)
            callbacks.install(on: conf)
            rd_kafka_conf_set_rebalance_cb(conf) { rk, err, partitions, _ in
                guard let rk, let callbacks = RdKafkaCallbacks.from(rk) else { return }
                callbacks.onRebalance(rk, err, partitions)
            }
            let assigned = Locked<[KafkaTopicPartition]?>(nil)
            callbacks.setRebalanceHandler { rk, err, partitions in
                if err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
                    rd_kafka_assign(rk, partitions)
                    // Never fetch: the writer only commits.
                    if let partitions { rd_kafka_pause_partitions(rk, partitions) }
                    assigned.withLock { $0 = TopicPartitionList.read(partitions).map(\.partition) }
                } else {
                    rd_kafka_assign(rk, nil)
                    assigned.withLock { $0 = nil }
                }
            }
            let rk = try RdKafkaConfig.newClient(type: RD_KAFKA_CONSUMER, conf: conf)
            rd_kafka_poll_set_consumer(rk)
            self.handle = rk
            self.callbacks = callbacks
            self.assigned = assigned
            self.logger = logger
        }

        func subscribe(_ topic: String) throws(KafkaError) {
            let list = TopicPartitionList(capacity: 1)
            list.add(KafkaTopicPartition(topic: topic, partition: RD_KAFKA_PARTITION_UA), offset: nil)
            let err = rd_kafka_subscribe(handle, list.pointer)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "subscribe \(topic)") }
        }

        /// Polls (serving the rebalance callback) until partitions are assigned. Records and
        /// consumer errors (an out-of-range committed offset, for one) are dropped unread.
        func awaitAssignment(until deadline: ContinuousClock.Instant, group: String) throws(KafkaError) -> [KafkaTopicPartition] {
            while ContinuousClock.now < deadline {
                if let message = rd_kafka_consumer_poll(handle, 100) {
                    if message.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                        logger.debug("offset writer: consumer error ignored", metadata: ["code": "\(KafkaError.Code(message.pointee.err))"])
                    }
                    rd_kafka_message_destroy(message)
                }
                if let partitions = assigned.withLock({ $0 }) { return partitions.sorted() }
            }
            throw KafkaError(code: .timedOut, message: "group \(group) assigned no partitions to this tool in time (rebalancing?)",
                             isRetriable: true)
        }

        func commit(_ offsets: [KafkaTopicPartition: Int64], group: String) throws(KafkaError) -> [KafkaTopicPartition: Int64?] {
            let list = TopicPartitionList(offsets: offsets)
            let err = rd_kafka_commit(handle, list.pointer, 0)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "commit offsets of group \(group)") }
            if let failed = list.elements.first(where: { $0.error != RD_KAFKA_RESP_ERR_NO_ERROR }) {
                throw KafkaError(failed.error, context: "commit offsets of group \(group) for \(failed.partition)")
            }
            let probe = TopicPartitionList(Array(offsets.keys))
            let read = rd_kafka_committed(handle, probe.pointer, 10_000)
            guard read == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(read, context: "read back offsets of group \(group)") }
            var committed: [KafkaTopicPartition: Int64?] = [:]
            for element in probe.elements { committed[element.partition] = element.offset >= 0 ? element.offset : nil }
            return committed
        }

        /// Leaves the group and releases the handle (blocking; this runs on the writer's own thread).
        func close() {
            rd_kafka_consumer_close(handle)
            rd_kafka_destroy(handle)
            withExtendedLifetime(callbacks) {}  // librdkafka's opaque points at it until the handle is gone
        }
    }
}
