public import Kafka
public import Logging
public import RewardCore

/// The dev and test Kafka: mock clusters A and B hosted in this process, a control channel
/// for other processes, and the cluster directory file that tells everyone where they are.
public final class DevKafkaHost: Sendable {
    public let clusters: [KafkaMockCluster]
    public let control: KafkaMockControlServer
    public let directory: ClusterDirectory

    /// Starts one mock cluster per name, each with `brokers` brokers, plus the control channel.
    public init(names: [ClusterName] = [.a, .b], brokers: Int = 3, controlPort: UInt16 = 0, logger: Logger) throws {
        let clusters = try names.map { try KafkaMockCluster(name: $0.rawValue, brokers: brokers, logger: logger) }
        let control = try KafkaMockControlServer(clusters: clusters, port: controlPort, logger: logger)
        self.clusters = clusters
        self.control = control
        self.directory = ClusterDirectory(clusters: Dictionary(uniqueKeysWithValues: clusters.map {
            ($0.name, ClusterDirectory.Entry(bootstrapServers: $0.bootstrapServers, control: control.address))
        }))
    }

    public func cluster(_ name: ClusterName) -> KafkaMockCluster? {
        clusters.first { $0.name == name.rawValue }
    }

    public func shutdown() {
        control.shutdown()
    }
}
