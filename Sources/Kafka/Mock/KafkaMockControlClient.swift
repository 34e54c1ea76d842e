import Foundation

/// Talks to a ``KafkaMockControlServer`` in another process (`reward-admin dev-kafka`).
public struct KafkaMockControlClient: Sendable {
    public let host: String
    public let port: UInt16
    public var timeout: Duration = .seconds(10)

    /// - Parameter address: `host:port` as the server printed it.
    /// - Throws: ``KafkaError`` with ``KafkaError/Code/mockControl`` when the address is not `host:port`.
    public init(address: String) throws(KafkaError) {
        let parts = address.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]) else {
            throw KafkaError(code: .mockControl, message: "mock control address must be host:port, got '\(address)'")
        }
        self.host = String(parts[0])
        self.port = port
    }

    public func createTopic(cluster: String, topic: String, partitions: Int, replicationFactor: Int) async throws {
        var request = KafkaMockControlRequest(operation: .createTopic, cluster: cluster)
        request.topic = topic
        request.partitions = partitions
        request.replicationFactor = replicationFactor
        try await send(request)
    }

    public func setBrokerDown(cluster: String, broker: Int32) async throws {
        var request = KafkaMockControlRequest(operation: .brokerDown, cluster: cluster)
        request.broker = broker
        try await send(request)
    }

    public func setBrokerUp(cluster: String, broker: Int32) async throws {
        var request = KafkaMockControlRequest(operation: .brokerUp, cluster: cluster)
        request.broker = broker
        try await send(request)
    }

    /// Takes every broker of the cluster down (or up): the whole cluster disappears (or returns).
    public func setClusterDown(cluster: String, _ down: Bool = true) async throws {
        try await send(KafkaMockControlRequest(operation: down ? .clusterDown : .clusterUp, cluster: cluster))
    }

    public func setRoundTripTime(cluster: String, broker: Int32, _ rtt: Duration) async throws {
        var request = KafkaMockControlRequest(operation: .setRoundTripTime, cluster: cluster)
        request.broker = broker
        request.milliseconds = Int(rtt.milliseconds)
        try await send(request)
    }

    public func pushRequestErrors(cluster: String, api: KafkaAPI, errors: [KafkaError.Code]) async throws {
        var request = KafkaMockControlRequest(operation: .pushRequestErrors, cluster: cluster)
        request.api = api.rawValue
        request.errors = errors.map(\.rawValue)
        try await send(request)
    }

    public func clearRequestErrors(cluster: String, api: KafkaAPI) async throws {
        var request = KafkaMockControlRequest(operation: .clearRequestErrors, cluster: cluster)
        request.api = api.rawValue
        try await send(request)
    }

    /// Moves a partition's leadership; broker -1 leaves it without a leader.
    public func setPartitionLeader(cluster: String, topic: String, partition: Int32, broker: Int32) async throws {
        var request = KafkaMockControlRequest(operation: .setPartitionLeader, cluster: cluster)
        request.topic = topic
        request.partition = partition
        request.broker = broker
        try await send(request)
    }

    /// The cluster's bootstrap servers and broker count, as its host reports them.
    public func describe(cluster: String) async throws -> (bootstrapServers: String, brokers: Int) {
        let response = try await send(KafkaMockControlRequest(operation: .describe, cluster: cluster))
        return (response.bootstrapServers ?? "", response.brokers ?? 0)
    }

    @discardableResult
    private func send(_ request: KafkaMockControlRequest) async throws -> KafkaMockControlResponse {
        let (host, port, timeout) = (self.host, self.port, self.timeout)
        let line = Array(try JSONEncoder().encode(request))
        let response = try await offload { () throws -> KafkaMockControlResponse in
            let fd: Int32
            do {
                fd = try LineSocket.connect(host: host, port: port, timeout: timeout)
            } catch {
                throw KafkaError(code: .mockControl,
                                 message: "cannot reach the mock cluster host at \(host):\(port) (is reward-admin dev-kafka running?): \(error)")
            }
            defer { close(fd) }
            try LineSocket.writeLine(fd, line)
            return try JSONDecoder().decode(KafkaMockControlResponse.self, from: Data(try LineSocket.readLine(fd)))
        }
        guard response.ok else {
            throw KafkaError(code: .mockControl, message: "\(request.operation.rawValue) on cluster \(request.cluster): \(response.error ?? "failed")")
        }
        return response
    }
}
