package import RewardCore

/// Fuzz target `spool-segment`: what a process starting on a spool directory reads back, through the
/// same steps as ``Spool``'s recovery and replay: the checkpoint decides where to start
/// (``SpoolFormat/resumeOffset(checkpoint:segmentLength:)``), ``SpoolFormat/scan(_:)`` splits
/// frames, ``SpoolRecord/decode(_:)`` reads each one. In memory: the file reads around them add
/// nothing to fuzz, and a temp file per input would cost more than the parse.
///
/// Input: a segment file; or, when the input does not start with `RWSP` and has at least 12 bytes,
/// a checkpoint file (12 bytes) followed by the segment file.
///
/// Invariants: frames lie inside the file, in order, each within the size limit; the torn tail is
/// what follows the last frame; a record read back, written again as a frame, reads back the same.
package struct SpoolSegmentFuzzer: Fuzzer {
    package init() {}

    package func run(_ input: [UInt8]) throws(FuzzFailure) -> FuzzOutcome {
        let (checkpoint, segment) = Self.split(input)
        let resume = SpoolFormat.resumeOffset(checkpoint: checkpoint, segmentLength: segment.count)
        try fuzzExpect(resume.offset >= 0 && resume.offset <= max(segment.count, SpoolFormat.header.count),
                       "resume offset \(resume.offset) outside a \(segment.count)-byte segment")
        let scan = SpoolFormat.scan(segment)
        if scan.headerIncomplete {
            try fuzzExpect(scan.frames.isEmpty && segment.count < SpoolFormat.header.count, "frames read from a segment without header")
            return .refused
        }
        var previousEnd = SpoolFormat.header.count
        var decoded = 0
        for frame in scan.frames {
            try fuzzExpect(frame.startOffset >= previousEnd && frame.payload.startIndex == frame.startOffset + SpoolFormat.frameOverhead
                               && frame.payload.endIndex == frame.endOffset && frame.endOffset <= segment.count,
                           "frame \(frame.startOffset)..<\(frame.endOffset) overlaps \(previousEnd) or leaves \(segment.count) bytes")
            try fuzzExpect(frame.payload.count <= SpoolFormat.maximumPayload, "a \(frame.payload.count)-byte payload passed the limit")
            previousEnd = frame.endOffset
            // Replay reads the frames after the checkpoint, as recovery does.
            guard frame.endOffset > resume.offset, let record = try? SpoolRecord.decode(frame.payload) else { continue }
            decoded += 1
            let again = SpoolFormat.scan(SpoolFormat.header + SpoolFormat.frame(record))
            try fuzzExpect(again.frames.count == 1 && again.tornBytes == 0 && again.damaged.isEmpty,
                           "a record written as a frame does not scan as one")
            if let payload = again.frames.first?.payload {
                try fuzzExpect((try? SpoolRecord.decode(payload)) == record, "a record written again reads back differently")
            }
        }
        for range in scan.damaged {
            try fuzzExpect(range.lowerBound >= 0 && range.upperBound <= segment.count, "damage \(range) outside the file")
        }
        // A file shorter than a header that is not ours is all damage, with no tail: hence max(0, …).
        try fuzzExpect(scan.tornBytes <= max(0, segment.count - previousEnd),
                       "torn tail of \(scan.tornBytes) bytes, but the last frame ends at \(previousEnd) of \(segment.count)")
        return decoded > 0 ? .accepted : .refused
    }

    static func split(_ input: [UInt8]) -> (checkpoint: [UInt8]?, segment: [UInt8]) {
        let checkpointLength = 12
        guard !input.starts(with: SpoolFormat.header.prefix(4)), input.count >= checkpointLength else { return (nil, input) }
        return (Array(input[..<checkpointLength]), Array(input[checkpointLength...]))
    }

    // MARK: Seeds

    /// A spool record's payload, as the writer encodes it.
    package static func record(topic: String, key: [UInt8], value: [UInt8]) -> [UInt8] {
        SpoolRecord(topic: topic, key: key, value: value).encoded()
    }

    /// A segment file: the header, then one frame (length, CRC) per payload.
    package static func segment(payloads: [[UInt8]]) -> [UInt8] {
        var bytes = SpoolFormat.header
        for payload in payloads { SpoolFormat.appendFrame(payload, to: &bytes) }
        return bytes
    }

    /// A checkpoint file that resumes at `offset`.
    package static func checkpoint(offset: Int) -> [UInt8] {
        SpoolFormat.encodeCheckpoint(offset)
    }
}
