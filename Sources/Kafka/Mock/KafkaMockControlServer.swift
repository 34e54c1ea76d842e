import Foundation
public import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Lets other processes drive the mock clusters this process hosts: create topics, take
/// brokers down and up, add latency, inject request errors.
///
/// It listens on 127.0.0.1 only and answers one JSON line per connection; control traffic is
/// rare, so requests are served one at a time on a dedicated thread.
public final class KafkaMockControlServer: Sendable {
    /// `127.0.0.1:port`, for ``KafkaMockControlClient``.
    public let address: String
    private let listener: Int32
    private let clusters: [String: KafkaMockCluster]
    private let logger: Logger
    private let stopped = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    public init(clusters: [KafkaMockCluster], port: UInt16 = 0, logger: Logger) throws {
        let (fd, bound) = try LineSocket.listen(port: port)
        self.listener = fd
        self.address = "127.0.0.1:\(bound)"
        self.clusters = Dictionary(uniqueKeysWithValues: clusters.map { ($0.name, $0) })
        self.logger = logger
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "kafka-mock-control"
        thread.start()
    }

    /// Stops accepting and waits for the serving thread to end.
    public func shutdown() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        Glibc.shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        finished.wait()
    }

    private func acceptLoop() {
        defer { finished.signal() }
        while !stopped.load(ordering: .acquiring) {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else {
                if errno == EINTR { continue }
                return  // listener closed
            }
            LineSocket.setTimeouts(connection, .seconds(5))
            let response: KafkaMockControlResponse
            do {
                let line = try LineSocket.readLine(connection)
                let request = try JSONDecoder().decode(KafkaMockControlRequest.self, from: Data(line))
                response = handle(request)
            } catch {
                response = KafkaMockControlResponse(ok: false, error: "unreadable request: \(error)")
            }
            if let encoded = try? JSONEncoder().encode(response) {
                try? LineSocket.writeLine(connection, Array(encoded))
            }
            close(connection)
        }
    }

    private func handle(_ request: KafkaMockControlRequest) -> KafkaMockControlResponse {
        guard let cluster = clusters[request.cluster] else {
            return KafkaMockControlResponse(
                ok: false, error: "no cluster named \(request.cluster); this host has \(clusters.keys.sorted())")
        }
        do {
            switch request.operation {
            case .describe:
                return KafkaMockControlResponse(ok: true, bootstrapServers: cluster.bootstrapServers, brokers: cluster.brokerCount)
            case .createTopic:
                guard let topic = request.topic, let partitions = request.partitions, let replicas = request.replicationFactor else {
                    return KafkaMockControlResponse(ok: false, error: "createTopic needs topic, partitions and replicationFactor")
                }
                try cluster.createTopic(topic, partitions: partitions, replicationFactor: replicas)
            case .brokerDown, .brokerUp, .setRoundTripTime:
                guard let broker = request.broker else {
                    return KafkaMockControlResponse(ok: false, error: "\(request.operation.rawValue) needs broker")
                }
                switch request.operation {
                case .brokerDown: try cluster.setBrokerDown(broker)
                case .brokerUp: try cluster.setBrokerUp(broker)
                default: try cluster.setRoundTripTime(broker, .milliseconds(request.milliseconds ?? 0))
                }
            case .clusterDown:
                try cluster.setAllBrokersDown()
            case .clusterUp:
                try cluster.setAllBrokersUp()
            case .pushRequestErrors:
                guard let api = request.api, let errors = request.errors else {
                    return KafkaMockControlResponse(ok: false, error: "pushRequestErrors needs api and errors")
                }
                cluster.pushRequestErrors(KafkaAPI(rawValue: api), errors.map { KafkaError.Code(rawValue: $0) })
            case .clearRequestErrors:
                guard let api = request.api else { return KafkaMockControlResponse(ok: false, error: "clearRequestErrors needs api") }
                cluster.clearRequestErrors(KafkaAPI(rawValue: api))
            case .setPartitionLeader:
                guard let topic = request.topic, let partition = request.partition, let broker = request.broker else {
                    return KafkaMockControlResponse(ok: false, error: "setPartitionLeader needs topic, partition and broker (-1: none)")
                }
                try cluster.setPartitionLeader(topic: topic, partition: partition, broker: broker)
            }
            logger.info("mock control", metadata: ["cluster": "\(request.cluster)", "operation": "\(request.operation.rawValue)"])
            return KafkaMockControlResponse(ok: true)
        } catch {
            return KafkaMockControlResponse(ok: false, error: "\(error)")
        }
    }
}
