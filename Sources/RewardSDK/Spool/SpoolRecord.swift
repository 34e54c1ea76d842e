/// One spooled event: exactly what would have been produced, so replay needs no other state.
///
/// Payload layout (inside a frame, see ``SpoolFormat``): version `1` (u8), then topic, key and
/// value, each an unsigned LEB128 length and that many bytes.
struct SpoolRecord: Sendable, Equatable {
    static let version: UInt8 = 1

    var topic: String
    var key: [UInt8]
    var value: [UInt8]

    /// The payload's size upper bound, for reserving capacity.
    var maximumEncodedSize: Int { 1 + 30 + topic.utf8.count + key.count + value.count }

    func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(maximumEncodedSize)
        encode(into: &bytes)
        return bytes
    }

    /// Appends the payload to `bytes`.
    func encode(into bytes: inout [UInt8]) {
        bytes.append(Self.version)
        Self.append(Array(topic.utf8), to: &bytes)
        Self.append(key, to: &bytes)
        Self.append(value, to: &bytes)
    }

    /// - Throws: `SpoolError` `SpoolError/Code/corrupt` for an unknown version or a cut-off field.
    static func decode(_ bytes: ArraySlice<UInt8>) throws(SpoolError) -> SpoolRecord {
        let fields = try parse(bytes)
        return SpoolRecord(topic: String(decoding: bytes[fields.topic], as: UTF8.self), key: Array(bytes[fields.key]),
                           value: Array(bytes[fields.value]))
    }

    /// Whether `bytes` is a payload ``decode(_:)`` accepts, without copying anything: the reader's
    /// test for a frame found by scanning past damage.
    static func isWellFormed(_ bytes: ArraySlice<UInt8>) -> Bool {
        (try? parse(bytes)) != nil
    }

    private static func parse(_ bytes: ArraySlice<UInt8>) throws(SpoolError)
        -> (topic: Range<Int>, key: Range<Int>, value: Range<Int>)
    {
        var cursor = bytes.startIndex
        guard cursor < bytes.endIndex, bytes[cursor] == version else {
            throw SpoolError(.corrupt, "spool record version \(bytes.first.map(String.init) ?? "missing") is not known")
        }
        cursor += 1
        let topic = try field(bytes, &cursor)
        let key = try field(bytes, &cursor)
        let value = try field(bytes, &cursor)
        guard cursor == bytes.endIndex else { throw SpoolError(.corrupt, "trailing bytes after a spool record") }
        return (topic, key, value)
    }

    private static func append(_ field: [UInt8], to bytes: inout [UInt8]) {
        var length = UInt64(field.count)
        while length >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: length) | 0x80)
            length >>= 7
        }
        bytes.append(UInt8(length))
        bytes.append(contentsOf: field)
    }

    private static func field(_ bytes: ArraySlice<UInt8>, _ cursor: inout Int) throws(SpoolError) -> Range<Int> {
        var length: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard cursor < bytes.endIndex, shift < 35 else { throw SpoolError(.corrupt, "a spool record field length is cut off") }
            let byte = bytes[cursor]
            cursor += 1
            length |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
        }
        guard UInt64(bytes.endIndex - cursor) >= length else { throw SpoolError(.corrupt, "a spool record field is cut off") }
        defer { cursor += Int(length) }
        return cursor..<cursor + Int(length)
    }
}
