internal import CRdKafka
import Logging
import Synchronization

/// What librdkafka's C callbacks reach through the handle's opaque pointer.
///
/// The client that owns the `rd_kafka_t` keeps this object alive for at least as long as the
/// handle, so the unretained pointer stored in the configuration never dangles.
final class RdKafkaCallbacks: Sendable {
    let logger: Logger
    let statistics: KafkaStatisticsReporter?
    private let rebalance: Mutex<(@Sendable (OpaquePointer, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) -> Void)?>

    init(logger: Logger, statistics: KafkaStatisticsReporter?) {
        self.logger = logger
        self.statistics = statistics
        self.rebalance = Mutex(nil)
    }

    func setRebalanceHandler(
        _ handler: @escaping @Sendable (OpaquePointer, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) -> Void
    ) {
        rebalance.withLock { $0 = handler }
    }

    func onRebalance(_ rk: OpaquePointer, _ err: rd_kafka_resp_err_t, _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) {
        if let handler = rebalance.withLock({ $0 }) {
            handler(rk, err, partitions)
        } else {
            // No handler installed: keep librdkafka's default behaviour.
            if err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
                rd_kafka_assign(rk, partitions)
            } else {
                rd_kafka_assign(rk, nil)
            }
        }
    }

    /// Installs the callbacks that every client kind shares: logs, errors, statistics.
    func install(on conf: OpaquePointer) {
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(self).toOpaque())
        rd_kafka_conf_set_log_cb(conf) { rk, level, facility, message in
            guard let rk, let callbacks = RdKafkaCallbacks.from(rk) else { return }
            let facilityName = facility.map { String(cString: $0) } ?? "?"
            let text = "\(facilityName): \(message.map { String(cString: $0) } ?? "")"
            // Mock clusters speak a Metadata version without the auto-create flag; real brokers do
            // not trigger this, so it is not worth a warning on every dev/test client.
            let level = facilityName == "AUTOCREATE" ? .debug : RdKafkaCallbacks.logLevel(syslog: level)
            callbacks.logger.log(level: level, "librdkafka \(text)")
        }
        rd_kafka_conf_set_error_cb(conf) { rk, err, reason, _ in
            guard let rk, let callbacks = RdKafkaCallbacks.from(rk) else { return }
            let reasonText = reason.map { String(cString: $0) } ?? ""
            let name = String(cString: rd_kafka_err2name(rd_kafka_resp_err_t(rawValue: err)))
            // Transport errors are routine while a broker restarts; librdkafka retries them itself.
            let level: Logger.Level = err == RD_KAFKA_RESP_ERR__FATAL.rawValue ? .critical : .warning
            callbacks.logger.log(level: level, "kafka client error", metadata: ["code": "\(name)", "reason": "\(reasonText)"])
        }
        if statistics != nil {
            rd_kafka_conf_set_stats_cb(conf) { rk, json, length, _ in
                guard let rk, let json, let callbacks = RdKafkaCallbacks.from(rk) else { return 0 }
                let bytes = UnsafeRawBufferPointer(start: json, count: length)
                callbacks.statistics?.report(json: Array(bytes))
                return 0  // 0: librdkafka frees the JSON buffer itself
            }
        }
    }

    static func from(_ rk: OpaquePointer) -> RdKafkaCallbacks? {
        guard let opaque = rd_kafka_opaque(rk) else { return nil }
        return Unmanaged<RdKafkaCallbacks>.fromOpaque(opaque).takeUnretainedValue()
    }

    static func logLevel(syslog: Int32) -> Logger.Level {
        switch syslog {
        case ...2: return .critical
        case 3: return .error
        case 4: return .warning
        case 5, 6: return .info
        default: return .debug
        }
    }
}
