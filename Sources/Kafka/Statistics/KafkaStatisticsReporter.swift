import Foundation
public import Metrics
import Synchronization

/// Turns librdkafka's periodic statistics JSON into swift-metrics gauges.
///
/// Labels carry the client's name (for example `sdk-A`), so two clusters' clients stay apart.
/// The most recent snapshot is kept for callers that want a number without a metrics backend.
public final class KafkaStatisticsReporter: Sendable {
    /// The figures we read out of one statistics report.
    public struct Snapshot: Sendable, Equatable {
        /// Messages waiting in the producer queue (`msg_cnt`).
        public var queuedMessages: Int64 = 0
        public var transmittedMessages: Int64 = 0
        public var receivedMessages: Int64 = 0
        /// Brokers whose state is `UP`, out of `brokers`.
        public var brokersUp: Int = 0
        public var brokers: Int = 0
        /// Consumer lag per "topic/partition", as librdkafka last saw it (-1 when unknown).
        public var consumerLag: [String: Int64] = [:]
        /// An idempotent producer's state (`eos.idemp_state`): `Assigned` once it holds a producer id.
        public var idempotenceState: String?
        /// Whether any report arrived yet.
        public var reported = false
    }

    private let client: String
    private let factory: any MetricsFactory
    private let latestSnapshot = Mutex(Snapshot())

    public init(client: String, factory: any MetricsFactory = MetricsSystem.factory) {
        self.client = client
        self.factory = factory
    }

    public var latest: Snapshot { latestSnapshot.withLock { $0 } }

    func report(json: [UInt8]) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] else { return }
        var snapshot = Snapshot()
        snapshot.queuedMessages = Self.int(object["msg_cnt"])
        snapshot.transmittedMessages = Self.int(object["txmsgs"])
        snapshot.receivedMessages = Self.int(object["rxmsgs"])
        snapshot.reported = true
        snapshot.idempotenceState = (object["eos"] as? [String: Any])?["idemp_state"] as? String
        let dims = [("client", client)]
        gauge("kafka_client_queue_messages", dims).record(snapshot.queuedMessages)
        gauge("kafka_client_queue_bytes", dims).record(Self.int(object["msg_size"]))
        gauge("kafka_client_tx_messages", dims).record(snapshot.transmittedMessages)
        gauge("kafka_client_rx_messages", dims).record(snapshot.receivedMessages)
        if let brokers = object["brokers"] as? [String: Any] {
            for case let (_, broker as [String: Any]) in brokers {
                guard let nodeID = broker["nodeid"] as? Int, nodeID >= 0 else { continue }  // skip bootstrap entries
                snapshot.brokers += 1
                let up = (broker["state"] as? String) == "UP"
                if up { snapshot.brokersUp += 1 }
                let brokerDims = dims + [("broker", String(nodeID))]
                gauge("kafka_broker_up", brokerDims).record(up ? 1 : 0)
                if let rtt = broker["rtt"] as? [String: Any] {
                    // librdkafka reports microseconds; Prometheus wants seconds.
                    gauge("kafka_broker_rtt_avg_seconds", brokerDims).record(Double(Self.int(rtt["avg"])) / 1_000_000)
                }
            }
        }
        if let topics = object["topics"] as? [String: Any] {
            for case let (topic, topicStats as [String: Any]) in topics {
                guard let partitions = topicStats["partitions"] as? [String: Any] else { continue }
                for case let (partition, stats as [String: Any]) in partitions where partition != "-1" {
                    let lag = Self.int(stats["consumer_lag"])
                    guard lag >= 0 else { continue }
                    snapshot.consumerLag["\(topic)/\(partition)"] = lag
                    gauge("kafka_consumer_lag", dims + [("topic", topic), ("partition", partition)]).record(lag)
                }
            }
        }
        gauge("kafka_client_brokers_up", dims).record(snapshot.brokersUp)
        latestSnapshot.withLock { $0 = snapshot }
    }

    private func gauge(_ label: String, _ dimensions: [(String, String)]) -> Gauge {
        Gauge(label: label, dimensions: dimensions, factory: factory)
    }

    private static func int(_ value: Any?) -> Int64 {
        switch value {
        case let number as NSNumber: return number.int64Value
        case let int as Int: return Int64(int)
        default: return 0
        }
    }
}
