/// Appends the primitives of our binary formats: unsigned LEB128 varints, big-endian integers,
/// and length-prefixed UTF-8 strings.
struct ByteWriter {
    var bytes: [UInt8]

    init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    mutating func uvarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func uint8(_ value: UInt8) { bytes.append(value) }

    mutating func int64(_ value: Int64) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func uint32(_ value: UInt32) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            uvarint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }
}

/// Reads what ``ByteWriter`` wrote, throwing instead of trapping on anything short or malformed.
struct ByteReader {
    struct Failure: Error {
        var reason: String
    }

    let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func uint8(_ field: String) throws(Failure) -> UInt8 {
        guard offset < bytes.count else { throw Failure(reason: "\(field) is missing (record ends early)") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func uvarint(_ field: String) throws(Failure) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try uint8(field)
            guard shift < 64, !(shift == 63 && byte > 1) else { throw Failure(reason: "\(field): length overflows") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    mutating func int64(_ field: String) throws(Failure) -> Int64 {
        guard bytes.count - offset >= 8 else { throw Failure(reason: "\(field) is missing (record ends early)") }
        var value: UInt64 = 0
        for index in offset..<offset + 8 { value = value << 8 | UInt64(bytes[index]) }
        offset += 8
        return Int64(bitPattern: value)
    }

    mutating func uint32(_ field: String) throws(Failure) -> UInt32 {
        guard bytes.count - offset >= 4 else { throw Failure(reason: "\(field) is missing (record ends early)") }
        var value: UInt32 = 0
        for index in offset..<offset + 4 { value = value << 8 | UInt32(bytes[index]) }
        offset += 4
        return value
    }

    mutating func string(_ field: String, maximumBytes: Int = 4096) throws(Failure) -> String {
        let length = try uvarint(field)
        guard length <= UInt64(maximumBytes) else { throw Failure(reason: "\(field) is longer than \(maximumBytes) bytes") }
        guard UInt64(bytes.count - offset) >= length else { throw Failure(reason: "\(field) is cut off (record ends early)") }
        let slice = bytes[offset..<offset + Int(length)]
        offset += Int(length)
        guard let string = String(validating: slice, as: UTF8.self) else {
            throw Failure(reason: "\(field) is not valid UTF-8")
        }
        return string
    }
}
