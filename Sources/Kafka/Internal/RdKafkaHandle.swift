/// A librdkafka handle (`rd_kafka_t`, `rd_kafka_topic_t`, ...) that may cross threads.
///
/// librdkafka documents its handles as thread-safe; lifetime is managed by the owning client.
struct RdKafkaHandle: @unchecked Sendable {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) { self.pointer = pointer }
}

extension Optional where Wrapped == [UInt8] {
    /// Calls `body` with the bytes, or with an empty buffer whose base address is nil for `nil`.
    func withOptionalBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch self {
        case .some(let bytes) where bytes.isEmpty:
            // An empty value is not a null one: give librdkafka a real address with no bytes.
            var anchor: UInt8 = 0
            return try withUnsafeBytes(of: &anchor) { try body(UnsafeRawBufferPointer(rebasing: $0.prefix(0))) }
        case .some(let bytes): return try bytes.withUnsafeBytes(body)
        case .none: return try body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
    }
}
