/// The on-disk format of spool segments.
///
/// A segment (`segment-<20-digit sequence>.log`) starts with an 8-byte header, `RWSP`, format
/// version `1` and three zero bytes, followed by frames:
///
/// | bytes | field |
/// |---|---|
/// | 4 | payload length `n`, UInt32 big-endian |
/// | 4 | CRC-32 of the 4 length bytes and the payload, UInt32 big-endian |
/// | n | payload: one ``SpoolRecord`` |
///
/// Frames are only ever appended. A crash mid-write leaves a torn last frame (short, or its CRC
/// does not match): readers stop there. Such a record was never acknowledged to a caller,
/// because callers are answered only after the `fdatasync` that covers their frame.
enum SpoolFormat {
    static let header: [UInt8] = Array("RWSP".utf8) + [1, 0, 0, 0]
    static let frameOverhead = 8
    /// No event comes near this; a larger length field is garbage from a torn write.
    static let maximumPayload = 1 << 20

    static func segmentName(_ sequence: UInt64) -> String {
        let digits = String(sequence)
        return "segment-" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".log"
    }

    static func checkpointName(_ sequence: UInt64) -> String {
        segmentName(sequence).dropLast(4) + ".ack"
    }

    /// The sequence number of a segment file name, `nil` for any other file.
    static func sequence(ofSegment name: String) -> UInt64? {
        guard name.hasPrefix("segment-"), name.hasSuffix(".log") else { return nil }
        let digits = name.dropFirst(8).dropLast(4)
        guard digits.count == 20 else { return nil }
        return UInt64(digits)
    }

    /// Appends one frame holding `payload` to `bytes`.
    static func appendFrame(_ payload: [UInt8], to bytes: inout [UInt8]) {
        let length = UInt32(payload.count)
        let lengthBytes: [UInt8] = [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
        var crc = lengthBytes.withUnsafeBytes { CRC32.checksum($0) }
        crc = payload.withUnsafeBytes { CRC32.checksum($0, continuing: crc) }
        bytes.append(contentsOf: lengthBytes)
        bytes.append(contentsOf: [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)])
        bytes.append(contentsOf: payload)
    }

    /// One frame holding `record`, built in place (no intermediate payload array).
    static func frame(_ record: SpoolRecord) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(frameOverhead + record.maximumEncodedSize)
        bytes.append(contentsOf: [0, 0, 0, 0, 0, 0, 0, 0])
        record.encode(into: &bytes)
        let length = UInt32(bytes.count - frameOverhead)
        bytes[0] = UInt8(length >> 24)
        bytes[1] = UInt8(length >> 16 & 0xFF)
        bytes[2] = UInt8(length >> 8 & 0xFF)
        bytes[3] = UInt8(length & 0xFF)
        let crc = bytes.withUnsafeBytes { buffer in
            CRC32.checksum(UnsafeRawBufferPointer(rebasing: buffer[frameOverhead...]),
                           continuing: CRC32.checksum(UnsafeRawBufferPointer(rebasing: buffer[0..<4])))
        }
        bytes[4] = UInt8(crc >> 24)
        bytes[5] = UInt8(crc >> 16 & 0xFF)
        bytes[6] = UInt8(crc >> 8 & 0xFF)
        bytes[7] = UInt8(crc & 0xFF)
        return bytes
    }

    /// One frame: its payload and the offset just after it (where replay resumes).
    struct Frame: Sendable {
        var payload: ArraySlice<UInt8>
        var endOffset: Int
    }

    /// What a segment's bytes hold from `offset` on.
    struct Scan: Sendable {
        var frames: [Frame]
        /// Bytes after the last whole frame: a torn tail (0 when the segment ends cleanly).
        var tornBytes: Int
        /// The header is missing or cut short: a segment created by a crash before its header was synced.
        var headerIncomplete: Bool
    }

    /// Splits a whole segment file into frames, stopping at the first torn or corrupt frame.
    /// - Throws: ``SpoolError`` ``SpoolError/Code/corrupt`` when the file is not a spool segment.
    static func scan(_ bytes: [UInt8], from offset: Int = header.count) throws(SpoolError) -> Scan {
        guard bytes.count >= header.count else {
            guard bytes.elementsEqual(header.prefix(bytes.count)) else {
                throw SpoolError(.corrupt, "not a spool segment (bad header)")
            }
            return Scan(frames: [], tornBytes: 0, headerIncomplete: true)
        }
        guard bytes[0..<header.count].elementsEqual(header) else {
            throw SpoolError(.corrupt, "not a spool segment (bad header)")
        }
        var frames: [Frame] = []
        var cursor = max(offset, header.count)
        while bytes.count - cursor >= frameOverhead {
            let length = Int(readUInt32(bytes, cursor))
            let stored = readUInt32(bytes, cursor + 4)
            guard length <= maximumPayload, bytes.count - cursor - frameOverhead >= length else { break }
            let payloadStart = cursor + frameOverhead
            var crc = bytes.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[cursor..<cursor + 4])) }
            crc = bytes.withUnsafeBytes {
                CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[payloadStart..<payloadStart + length]), continuing: crc)
            }
            guard crc == stored else { break }
            cursor = payloadStart + length
            frames.append(Frame(payload: bytes[payloadStart..<cursor], endOffset: cursor))
        }
        return Scan(frames: frames, tornBytes: bytes.count - cursor, headerIncomplete: false)
    }

    static func readUInt32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    /// A checkpoint file: the offset replay resumes at (UInt64 big-endian) and its CRC-32.
    static func encodeCheckpoint(_ offset: Int) -> [UInt8] {
        let value = UInt64(offset)
        var bytes = (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64($0))) }
        let crc = CRC32.checksum(bytes)
        bytes += [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]
        return bytes
    }

    /// Where reading a segment of `segmentLength` bytes starts, given its checkpoint file (`nil`:
    /// there is none). A damaged checkpoint, or one beyond the segment's end, starts over at the
    /// first frame and says so.
    static func resumeOffset(checkpoint: [UInt8]?, segmentLength: Int) -> (offset: Int, damaged: Bool) {
        guard let checkpoint else { return (header.count, false) }
        guard let offset = decodeCheckpoint(checkpoint), offset <= segmentLength else { return (header.count, true) }
        return (offset, false)
    }

    /// The offset in a checkpoint file; `nil` when it is damaged (replay then starts over: duplicates, no loss).
    static func decodeCheckpoint(_ bytes: [UInt8]) -> Int? {
        guard bytes.count == 12 else { return nil }
        let value = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard CRC32.checksum(bytes[0..<8]) == readUInt32(bytes, 8), value <= UInt64(Int.max) else { return nil }
        return Int(value)
    }
}
