internal import CRdKafka
public import Logging

/// Topics, groups, offsets and lag of one cluster.
///
/// Works against real Kafka. librdkafka's mock clusters answer only metadata, offsets and group
/// coordination, so ``createTopics(_:)``, ``describeTopicConfigs(_:)``, ``listConsumerGroups()``
/// and ``describeConsumerGroup(_:)`` fail there with ``KafkaError/Code/unsupportedFeature``, and
/// ``offsetsForTimes(_:)`` gets no answer by time from them; dev clusters create topics through
/// ``KafkaMockControlClient`` instead.
public final class KafkaAdmin: Sendable {
    let handle: RdKafkaHandle
    private let callbacks: RdKafkaCallbacks
    private let pollLoop: PollLoop
    let connection: KafkaConnection
    var bootstrapServers: [String] { connection.bootstrapServers }
    let requestTimeout: Duration
    let logger: Logger

    /// A plaintext admin client of `bootstrapServers` (the mock clusters).
    public convenience init(bootstrapServers: [String], clientID: String = "reward-admin", requestTimeout: Duration = .seconds(10),
                            logger: Logger) throws(KafkaError) {
        try self.init(connection: KafkaConnection(bootstrapServers: bootstrapServers), clientID: clientID,
                      requestTimeout: requestTimeout, logger: logger)
    }

    public init(connection: KafkaConnection, clientID: String = "reward-admin", requestTimeout: Duration = .seconds(10),
                logger: Logger) throws(KafkaError) {
        guard !connection.bootstrapServers.isEmpty else { throw KafkaError.invalidConfiguration("bootstrapServers is empty") }
        let callbacks = RdKafkaCallbacks(logger: logger, statistics: nil)
        let conf = try RdKafkaConfig.make(connection.applied(to: [
            "client.id": clientID,
            "allow.auto.create.topics": "false",
        ]))
        callbacks.install(on: conf)
        let handle = RdKafkaHandle(try RdKafkaConfig.newClient(type: RD_KAFKA_PRODUCER, conf: conf))
        self.handle = handle
        self.callbacks = callbacks
        self.connection = connection
        self.requestTimeout = requestTimeout
        self.logger = logger
        self.pollLoop = PollLoop(name: "kafka-admin") { rd_kafka_poll(handle.pointer, 100) }
    }

    deinit {
        let (pollLoop, handle, callbacks) = (self.pollLoop, self.handle, self.callbacks)
        releaseOffPool("admin") {
            pollLoop.stop()
            rd_kafka_destroy(handle.pointer)
            _ = callbacks  // librdkafka's opaque points at it until the handle is gone
        }
    }

    var timeoutMilliseconds: Int32 { Int32(clamping: requestTimeout.milliseconds) }

    /// Every topic the cluster knows (internal ones excluded), or only `names` (missing ones omitted).
    public func describeTopics(_ names: [String]? = nil) async throws -> [KafkaTopicDescription] {
        let handle = self.handle
        let timeout = timeoutMilliseconds
        return try await offload {
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let err = rd_kafka_metadata(handle.pointer, 1, nil, &metadata, timeout)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
                throw KafkaError(err, context: "metadata")
            }
            defer { rd_kafka_metadata_destroy(metadata) }
            var topics: [KafkaTopicDescription] = []
            for index in 0..<Int(metadata.pointee.topic_cnt) {
                let topic = metadata.pointee.topics[index]
                let name = String(cString: topic.topic)
                guard topic.err == RD_KAFKA_RESP_ERR_NO_ERROR, !name.hasPrefix("__") else { continue }
                if let names, !names.contains(name) { continue }
                let partitions = (0..<Int(topic.partition_cnt)).map { p in
                    let partition = topic.partitions[p]
                    return KafkaTopicDescription.Partition(
                        id: partition.id, leader: partition.leader,
                        replicas: Array(UnsafeBufferPointer(start: partition.replicas, count: Int(partition.replica_cnt))),
                        inSyncReplicas: Array(UnsafeBufferPointer(start: partition.isrs, count: Int(partition.isr_cnt))))
                }.sorted { $0.id < $1.id }
                topics.append(KafkaTopicDescription(name: name, partitions: partitions))
            }
            return topics.sorted { $0.name < $1.name }
        }
    }

    /// Creates topics; the result says, per topic, whether it was created or why not.
    public func createTopics(_ specifications: [KafkaTopicSpecification]) async throws -> [String: Result<Void, KafkaError>] {
        guard !specifications.isEmpty else { return [:] }
        let handle = self.handle
        let timeout = timeoutMilliseconds
        return try await offload {
            var errstr = [CChar](repeating: 0, count: 512)
            var newTopics: [OpaquePointer?] = []
            defer { for topic in newTopics { rd_kafka_NewTopic_destroy(topic) } }
            for specification in specifications {
                guard let topic = rd_kafka_NewTopic_new(
                    specification.name, Int32(specification.partitions), Int32(specification.replicationFactor),
                    &errstr, errstr.count)
                else { throw KafkaError.invalidConfiguration("topic \(specification.name): \(String(cStringBuffer: errstr))") }
                newTopics.append(topic)
                for (key, value) in specification.configs.sorted(by: { $0.key < $1.key }) {
                    let err = rd_kafka_NewTopic_set_config(topic, key, value)
                    guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                        throw KafkaError(err, context: "topic \(specification.name) config \(key)")
                    }
                }
            }
            return try Self.runAdmin(handle, timeout: timeout, api: RD_KAFKA_ADMIN_OP_CREATETOPICS) { options, queue in
                newTopics.withUnsafeMutableBufferPointer { buffer in
                    rd_kafka_CreateTopics(handle.pointer, buffer.baseAddress, buffer.count, options, queue)
                }
            } read: { event in
                guard let result = rd_kafka_event_CreateTopics_result(event) else { return [:] }
                var count = 0
                guard let topics = rd_kafka_CreateTopics_result_topics(result, &count) else { return [:] }
                var outcome: [String: Result<Void, KafkaError>] = [:]
                for index in 0..<count {
                    let topic = topics[index]
                    let name = String(cString: rd_kafka_topic_result_name(topic))
                    let err = rd_kafka_topic_result_error(topic)
                    if err == RD_KAFKA_RESP_ERR_NO_ERROR {
                        outcome[name] = .success(())
                    } else {
                        let reason = rd_kafka_topic_result_error_string(topic).map { String(cString: $0) } ?? ""
                        outcome[name] = .failure(KafkaError(err, context: "create topic \(name) \(reason)"))
                    }
                }
                return outcome
            }
        }
    }

    /// A topic's configuration entries that differ from the broker default.
    public func describeTopicConfigs(_ topic: String) async throws -> [String: String] {
        let handle = self.handle
        let timeout = timeoutMilliseconds
        return try await offload {
            let resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic)
            defer { rd_kafka_ConfigResource_destroy(resource) }
            var resources: [OpaquePointer?] = [resource]
            return try Self.runAdmin(handle, timeout: timeout, api: RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS) { options, queue in
                resources.withUnsafeMutableBufferPointer { buffer in
                    rd_kafka_DescribeConfigs(handle.pointer, buffer.baseAddress, buffer.count, options, queue)
                }
            } read: { event in
                guard let result = rd_kafka_event_DescribeConfigs_result(event) else { return [:] }
                var count = 0
                guard let described = rd_kafka_DescribeConfigs_result_resources(result, &count), count > 0 else { return [:] }
                let err = rd_kafka_ConfigResource_error(described[0])
                guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "describe configs of \(topic)") }
                var entryCount = 0
                guard let entries = rd_kafka_ConfigResource_configs(described[0], &entryCount) else { return [:] }
                var configs: [String: String] = [:]
                for index in 0..<entryCount {
                    let entry = entries[index]
                    guard rd_kafka_ConfigEntry_is_default(entry) == 0,
                          let value = rd_kafka_ConfigEntry_value(entry) else { continue }
                    configs[String(cString: rd_kafka_ConfigEntry_name(entry))] = String(cString: value)
                }
                return configs
            }
        }
    }

    /// Every consumer group the cluster knows, with its state and member count.
    public func listConsumerGroups() async throws -> [KafkaConsumerGroup] {
        let handle = self.handle
        let timeout = timeoutMilliseconds
        return try await offload {
            var list: UnsafePointer<rd_kafka_group_list>?
            let err = rd_kafka_list_groups(handle.pointer, nil, &list, timeout)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__PARTIAL, let list else {
                throw KafkaError(err, context: "list consumer groups")
            }
            defer { rd_kafka_group_list_destroy(list) }
            return (0..<Int(list.pointee.group_cnt)).map { index in
                let group = list.pointee.groups[index]
                return KafkaConsumerGroup(
                    id: String(cString: group.group), state: group.state.map { String(cString: $0) } ?? "",
                    memberCount: Int(group.member_cnt))
            }.sorted { $0.id < $1.id }
        }
    }

    /// The first and the next-to-be-written offset of a partition.
    public func watermarks(_ partition: KafkaTopicPartition) async throws -> (low: Int64, high: Int64) {
        let handle = self.handle
        let timeout = timeoutMilliseconds
        return try await offload {
            var low: Int64 = 0
            var high: Int64 = 0
            let err = rd_kafka_query_watermark_offsets(handle.pointer, partition.topic, partition.partition, &low, &high, timeout)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "watermarks of \(partition)") }
            return (low, high)
        }
    }

    /// A group's committed offsets (the next offset it will read), `nil` where it has none.
    public func committedOffsets(group: String, partitions: [KafkaTopicPartition]) async throws
        -> [KafkaTopicPartition: Int64?]
    {
        var configuration = KafkaConsumerConfiguration(connection: connection, groupID: group)
        configuration.clientID = "reward-admin-offsets"
        configuration.statisticsInterval = nil
        let reader = try KafkaConsumer(configuration: configuration, logger: logger)
        do {
            let offsets = try await reader.committed(partitions, timeout: requestTimeout)
            await reader.close()
            return offsets
        } catch {
            await reader.close()
            throw error
        }
    }

    /// Committed offset, log start and log end for every partition of `topic`, for one group.
    public func lag(group: String, topic: String) async throws -> [KafkaPartitionLag] {
        guard let description = try await describeTopics([topic]).first else {
            throw KafkaError(code: .unknownTopicOrPartition, message: "topic \(topic) does not exist on \(bootstrapServers.joined(separator: ","))")
        }
        let partitions = description.partitions.map { KafkaTopicPartition(topic: topic, partition: $0.id) }
        let committed = try await committedOffsets(group: group, partitions: partitions)
        var lags: [KafkaPartitionLag] = []
        for partition in partitions {
            let (low, high) = try await watermarks(partition)
            lags.append(KafkaPartitionLag(partition: partition, committed: committed[partition] ?? nil, logStart: low, logEnd: high))
        }
        return lags
    }

    /// Runs one admin request on a private queue and reads its result event.
    private static func runAdmin<T>(
        _ handle: RdKafkaHandle, timeout: Int32, api: rd_kafka_admin_op_t,
        start: (OpaquePointer?, OpaquePointer?) -> Void, read: (OpaquePointer) throws -> T
    ) throws -> T {
        let queue = rd_kafka_queue_new(handle.pointer)
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(handle.pointer, api)
        defer { rd_kafka_AdminOptions_destroy(options) }
        var errstr = [CChar](repeating: 0, count: 512)
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeout, &errstr, errstr.count)
        _ = rd_kafka_AdminOptions_set_operation_timeout(options, timeout, &errstr, errstr.count)
        start(options, queue)
        guard let event = rd_kafka_queue_poll(queue, timeout + 1000) else {
            throw KafkaError(code: .timedOut, message: "admin request got no answer", isRetriable: true)
        }
        defer { rd_kafka_event_destroy(event) }
        let err = rd_kafka_event_error(event)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            let reason = rd_kafka_event_error_string(event).map { String(cString: $0) } ?? ""
            throw KafkaError(err, context: "admin request (\(reason))")
        }
        return try read(event)
    }
}
