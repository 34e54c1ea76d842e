internal import CRdKafka
public import Logging

/// A librdkafka mock cluster hosted in this process: real Kafka protocol on loopback.
///
/// Other processes reach it through ``bootstrapServers`` for as long as this object lives.
/// Each partition keeps at most 5 MiB or 100,000 batches and silently drops older ones, so size
/// partition counts for the backlog a test or demo builds (lz4 on the producers helps).
public final class KafkaMockCluster: Sendable {
    public let name: String
    public let brokerCount: Int
    /// `host:port,...` of the mock brokers, for any client in any process.
    public let bootstrapServers: String
    private let host: RdKafkaHandle
    private let cluster: RdKafkaHandle
    private let callbacks: RdKafkaCallbacks
    private let pollLoop: PollLoop

    /// Starts `brokers` brokers (ids 1...brokers) on loopback.
    public init(name: String, brokers: Int = 3, logger: Logger) throws(KafkaError) {
        guard brokers >= 1 else { throw KafkaError.invalidConfiguration("a mock cluster needs at least one broker") }
        let callbacks = RdKafkaCallbacks(logger: logger, statistics: nil)
        let conf = try RdKafkaConfig.make(["client.id": "mock-host-\(name)"])
        callbacks.install(on: conf)
        let rk = try RdKafkaConfig.newClient(type: RD_KAFKA_PRODUCER, conf: conf)
        guard let mcluster = rd_kafka_mock_cluster_new(rk, Int32(brokers)) else {
            rd_kafka_destroy(rk)
            throw KafkaError(code: .invalidArgument, message: "rd_kafka_mock_cluster_new failed for cluster \(name)")
        }
        self.name = name
        self.brokerCount = brokers
        self.bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(mcluster))
        self.host = RdKafkaHandle(rk)
        self.cluster = RdKafkaHandle(mcluster)
        self.callbacks = callbacks
        let host = self.host
        self.pollLoop = PollLoop(name: "kafka-mock-\(name)") { rd_kafka_poll(host.pointer, 100) }
        logger.info("mock cluster started", metadata: ["cluster": "\(name)", "bootstrap": "\(bootstrapServers)"])
    }

    deinit {
        let (pollLoop, cluster, host, callbacks) = (self.pollLoop, self.cluster, self.host, self.callbacks)
        releaseOffPool("mock") {
            pollLoop.stop()
            rd_kafka_mock_cluster_destroy(cluster.pointer)
            rd_kafka_destroy(host.pointer)
            _ = callbacks
        }
    }

    /// Creates a topic; creating one that exists is an error.
    public func createTopic(_ topic: String, partitions: Int, replicationFactor: Int) throws(KafkaError) {
        guard partitions >= 1, replicationFactor >= 1, replicationFactor <= brokerCount else {
            throw KafkaError(code: .invalidArgument,
                             message: "topic \(topic): \(partitions) partitions x \(replicationFactor) replicas on \(brokerCount) brokers")
        }
        try check(rd_kafka_mock_topic_create(cluster.pointer, topic, Int32(partitions), Int32(replicationFactor)),
                  "create topic \(topic)")
    }

    /// Closes the broker's connections and refuses new ones. Partition leaders do not move.
    public func setBrokerDown(_ broker: Int32) throws(KafkaError) {
        try check(rd_kafka_mock_broker_set_down(cluster.pointer, broker), "broker \(broker) down")
    }

    public func setBrokerUp(_ broker: Int32) throws(KafkaError) {
        try check(rd_kafka_mock_broker_set_up(cluster.pointer, broker), "broker \(broker) up")
    }

    /// Takes every broker down: the whole cluster becomes unreachable.
    public func setAllBrokersDown() throws(KafkaError) {
        for broker in 1...Int32(brokerCount) { try setBrokerDown(broker) }
    }

    public func setAllBrokersUp() throws(KafkaError) {
        for broker in 1...Int32(brokerCount) { try setBrokerUp(broker) }
    }

    /// Adds latency to every response from this broker.
    public func setRoundTripTime(_ broker: Int32, _ rtt: Duration) throws(KafkaError) {
        try check(rd_kafka_mock_broker_set_rtt(cluster.pointer, broker, Int32(clamping: rtt.milliseconds)),
                  "broker \(broker) rtt")
    }

    /// The next requests of this kind, to any broker, fail with these codes in order.
    public func pushRequestErrors(_ api: KafkaAPI, _ errors: [KafkaError.Code]) {
        var codes = errors.map { rd_kafka_resp_err_t(rawValue: $0.rawValue) }
        codes.withUnsafeMutableBufferPointer { buffer in
            rd_kafka_mock_push_request_errors_array(cluster.pointer, api.rawValue, buffer.count, buffer.baseAddress)
        }
    }

    /// The next request of this kind to this broker fails with `error` after `delay`.
    public func pushBrokerRequestError(_ broker: Int32, _ api: KafkaAPI, _ error: KafkaError.Code, delay: Duration = .zero)
        throws(KafkaError)
    {
        try check(crdkafka_mock_push_broker_error(cluster.pointer, broker, api.rawValue,
                                                  rd_kafka_resp_err_t(rawValue: error.rawValue),
                                                  Int32(clamping: delay.milliseconds)),
                  "push error to broker \(broker)")
    }

    public func clearRequestErrors(_ api: KafkaAPI) {
        rd_kafka_mock_clear_request_errors(cluster.pointer, api.rawValue)
    }

    /// Moves a partition's leadership (the mock does not do this by itself when a broker goes down).
    public func setPartitionLeader(topic: String, partition: Int32, broker: Int32) throws(KafkaError) {
        try check(rd_kafka_mock_partition_set_leader(cluster.pointer, topic, partition, broker),
                  "leader of \(topic)/\(partition)")
    }

    private func check(_ err: rd_kafka_resp_err_t, _ what: String) throws(KafkaError) {
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(err, context: "mock cluster \(name): \(what)")
        }
    }
}

/// A Kafka protocol request kind, for fault injection.
public struct KafkaAPI: Hashable, Sendable, Codable {
    public let rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }

    public static let produce = KafkaAPI(rawValue: 0)
    public static let fetch = KafkaAPI(rawValue: 1)
    public static let listOffsets = KafkaAPI(rawValue: 2)
    public static let metadata = KafkaAPI(rawValue: 3)
    public static let offsetCommit = KafkaAPI(rawValue: 8)
    public static let offsetFetch = KafkaAPI(rawValue: 9)
    public static let findCoordinator = KafkaAPI(rawValue: 10)
    public static let joinGroup = KafkaAPI(rawValue: 11)
    public static let heartbeat = KafkaAPI(rawValue: 12)
    public static let syncGroup = KafkaAPI(rawValue: 14)
    public static let initProducerID = KafkaAPI(rawValue: 22)
}
