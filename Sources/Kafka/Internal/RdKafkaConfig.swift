internal import CRdKafka

/// Builds an `rd_kafka_conf_t` from string properties, reporting the offending key on failure.
enum RdKafkaConfig {
    /// Returns a new configuration; the caller owns it until it is handed to `rd_kafka_new`.
    static func make(_ properties: [String: String]) throws(KafkaError) -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError.invalidConfiguration("rd_kafka_conf_new returned NULL")
        }
        var errstr = [CChar](repeating: 0, count: 512)
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            let result = rd_kafka_conf_set(conf, key, value, &errstr, errstr.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw KafkaError.invalidConfiguration("property \(key): \(String(cStringBuffer: errstr))")
            }
        }
        return conf
    }

    /// Frees a configuration that was only made to check properties.
    static func destroy(_ conf: OpaquePointer) { rd_kafka_conf_destroy(conf) }

    /// Creates a client handle; on success librdkafka owns `conf`, on failure it is destroyed here.
    static func newClient(type: rd_kafka_type_t, conf: OpaquePointer) throws(KafkaError) -> OpaquePointer {
        var errstr = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(type, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError.invalidConfiguration("rd_kafka_new failed: \(String(cStringBuffer: errstr))")
        }
        return rk
    }
}

extension String {
    /// Reads a NUL-terminated C string out of a fixed buffer.
    init(cStringBuffer buffer: [CChar]) {
        self = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
