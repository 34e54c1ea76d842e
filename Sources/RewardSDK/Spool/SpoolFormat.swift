/// The on-disk format of spool segments and quarantine files.
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
/// does not match): readers ignore such a tail. Such a record was never acknowledged to a caller,
/// because callers are answered only after the `fdatasync` that covers their frame. Damage in the
/// middle (a flipped byte, a lost sector) is different: readers resynchronise after it (the next
/// position where a frame's length and CRC verify and its payload decodes), so the frames after it
/// are still read, and report the byte ranges they could not read.
///
/// Quarantine files (`quarantine-<20 digits>.log`) have the same format; each has a note
/// (`quarantine-<20 digits>.json`, ``SpoolQuarantineNote``) saying why it is there.
enum SpoolFormat {
    static let header: [UInt8] = Array("RWSP".utf8) + [1, 0, 0, 0]
    static let frameOverhead = 8
    /// No event comes near this; a larger length field is garbage from a torn write.
    static let maximumPayload = 1 << 20

    static func segmentName(_ sequence: UInt64) -> String {
        "segment-" + digits(sequence) + ".log"
    }

    static func checkpointName(_ sequence: UInt64) -> String {
        segmentName(sequence).dropLast(4) + ".ack"
    }

    static func quarantineName(_ number: UInt64) -> String {
        "quarantine-" + digits(number) + ".log"
    }

    static func quarantineNoteName(_ number: UInt64) -> String {
        "quarantine-" + digits(number) + ".json"
    }

    /// The sequence number of a segment file name, `nil` for any other file.
    static func sequence(ofSegment name: String) -> UInt64? {
        number(name, prefix: "segment-", suffix: ".log")
    }

    /// The number of a quarantine file (`.log`) or its note (`.json`), `nil` for any other file.
    static func number(ofQuarantine name: String) -> UInt64? {
        number(name, prefix: "quarantine-", suffix: ".log") ?? number(name, prefix: "quarantine-", suffix: ".json")
    }

    private static func digits(_ number: UInt64) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }

    private static func number(_ name: String, prefix: String, suffix: String) -> UInt64? {
        guard name.hasPrefix(prefix), name.hasSuffix(suffix) else { return nil }
        let digits = name.dropFirst(prefix.count).dropLast(suffix.count)
        guard digits.count == 20, digits.allSatisfy(\.isASCII) else { return nil }
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

    /// One frame: its payload, where it starts, and the offset just after it (where replay resumes).
    struct Frame: Sendable {
        var payload: ArraySlice<UInt8>
        var startOffset: Int
        var endOffset: Int
    }

    /// What a segment's bytes hold.
    struct Scan: Sendable {
        /// Every frame whose length and CRC verify and whose payload decodes, in file order.
        var frames: [Frame]
        /// Byte ranges in the middle that could not be read (a damaged header, frames failing
        /// their CRC or not decoding); each is followed by a frame that verifies.
        var damaged: [Range<Int>]
        /// Bytes after the last whole frame that no verifying frame follows: a torn tail (a crash
        /// mid-write, never acknowledged), 0 when the segment ends cleanly.
        var tornBytes: Int
        /// The header is missing or cut short: a segment created by a crash before its header was synced.
        var headerIncomplete: Bool

        var isDamaged: Bool { !damaged.isEmpty }
    }

    /// Splits a whole segment (or quarantine) file into frames, reading past damage.
    ///
    /// After a frame that does not verify, the reader looks for the next position where one does
    /// (length at most ``maximumPayload`` and inside the file, payload a well-formed
    /// ``SpoolRecord``, CRC matching) and goes on from there; what it skipped is reported in
    /// ``Scan/damaged``. Bytes that no verifying frame follows are a torn tail. A file whose
    /// header is not ours is read the same way, its first 8 bytes reported as damaged.
    static func scan(_ bytes: [UInt8]) -> Scan {
        guard bytes.count >= header.count || !bytes.elementsEqual(header.prefix(bytes.count)) else {
            return Scan(frames: [], damaged: [], tornBytes: 0, headerIncomplete: true)
        }
        var damaged: [Range<Int>] = []
        if !bytes.prefix(header.count).elementsEqual(header) {
            damaged.append(0..<min(header.count, bytes.count))
        }
        var frames: [Frame] = []
        var cursor = header.count
        while cursor < bytes.count {
            if let frame = frame(in: bytes, at: cursor, requireRecord: false) {
                if SpoolRecord.isWellFormed(frame.payload) {
                    frames.append(frame)
                } else {
                    // The CRC holds, so the frame's end is known: only this frame is lost.
                    damaged.append(cursor..<frame.endOffset)
                }
                cursor = frame.endOffset
                continue
            }
            guard let next = resynchronise(bytes, after: cursor) else { break }
            damaged.append(cursor..<next)
            cursor = next
        }
        return Scan(frames: frames, damaged: damaged, tornBytes: max(0, bytes.count - cursor), headerIncomplete: false)
    }

    /// The frame at `offset` if its length fits and its CRC matches (and, when `requireRecord`,
    /// its payload is a well-formed record, checked first because it is cheaper than the CRC).
    private static func frame(in bytes: [UInt8], at offset: Int, requireRecord: Bool) -> Frame? {
        guard bytes.count - offset >= frameOverhead else { return nil }
        let length = Int(readUInt32(bytes, offset))
        guard length <= maximumPayload, bytes.count - offset - frameOverhead >= length else { return nil }
        let payloadStart = offset + frameOverhead
        let payload = bytes[payloadStart..<payloadStart + length]
        if requireRecord {
            guard payload.first == SpoolRecord.version, SpoolRecord.isWellFormed(payload) else { return nil }
        }
        let crc = bytes.withUnsafeBytes {
            CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[payloadStart..<payloadStart + length]),
                           continuing: CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[offset..<offset + 4])))
        }
        guard crc == readUInt32(bytes, offset + 4) else { return nil }
        return Frame(payload: payload, startOffset: offset, endOffset: payloadStart + length)
    }

    /// The first position after `offset` where a whole, verifying frame with a well-formed record starts.
    private static func resynchronise(_ bytes: [UInt8], after offset: Int) -> Int? {
        var candidate = offset + 1
        while bytes.count - candidate >= frameOverhead {
            if frame(in: bytes, at: candidate, requireRecord: true) != nil { return candidate }
            candidate += 1
        }
        return nil
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
