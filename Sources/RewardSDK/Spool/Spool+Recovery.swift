import Logging

/// Reading segments back and taking stock of a directory an earlier process left (both on a
/// dedicated thread: they block on file I/O).
extension Spool {
    /// What an earlier process left in the directory.
    struct Recovered: Sendable {
        var sealed: [UInt64] = []
        var depth = 0
        var quarantine = QuarantineCounts()
        var nextQuarantine: UInt64 = 1
    }

    /// Lists the segments a previous process left, cleans up leftovers, and counts what is
    /// unreplayed and what is in the quarantine.
    static func recover(directory: String, logger: Logger) throws(SpoolError) -> Recovered {
        let names = try POSIXFile.list(directory)
        for name in names where name.hasSuffix(".tmp") {
            try POSIXFile.remove("\(directory)/\(name)")
        }
        let sequences = names.compactMap(SpoolFormat.sequence(ofSegment:)).sorted()
        let present = Set(sequences)
        for name in names where name.hasSuffix(".ack") {
            // A checkpoint whose segment was already retired (crash between the two unlinks).
            let segment = String(name.dropLast(4)) + ".log"
            if let sequence = SpoolFormat.sequence(ofSegment: segment), !present.contains(sequence) {
                try POSIXFile.remove("\(directory)/\(name)")
            }
        }
        var recovered = Recovered()
        let quarantined = Set(names.filter { $0.hasPrefix("quarantine-") && $0.hasSuffix(".log") })
        for name in names {
            guard let number = SpoolFormat.number(ofQuarantine: name) else { continue }
            recovered.nextQuarantine = max(recovered.nextQuarantine, number + 1)
            if name.hasSuffix(".json"), !quarantined.contains(SpoolFormat.quarantineName(number)) {
                // A crash between a quarantine's note and its file: the records are still in their segment.
                try POSIXFile.remove("\(directory)/\(name)")
            }
        }
        for name in quarantined {
            guard let number = SpoolFormat.number(ofQuarantine: name) else { continue }
            let note = try POSIXFile.readAll("\(directory)/\(SpoolFormat.quarantineNoteName(number))")
                .flatMap(SpoolQuarantineNote.decode)
            if note?.kind == .damaged {
                recovered.quarantine.damagedSegments += 1
                continue
            }
            let scan = SpoolFormat.scan(try POSIXFile.readAll("\(directory)/\(name)") ?? [])
            if note == nil, scan.isDamaged {
                recovered.quarantine.damagedSegments += 1  // its note is gone; the file shows what it is
            } else {
                recovered.quarantine.refusedRecords += scan.frames.count
            }
        }
        for sequence in sequences {
            let segment = try read(directory: directory, sequence: sequence, logger: logger)
            if segment.tornBytes > 0 {
                logger.warning("spool segment ends in a torn record (a crash mid-write); it was never acknowledged and is ignored",
                               metadata: ["segment": "\(sequence)", "bytes": "\(segment.tornBytes)"])
            }
            if segment.isDamaged {
                logger.error("spool segment is damaged: what can be read is replayed, then the segment is kept in the quarantine",
                             metadata: ["segment": "\(sequence)", "unreadable": "\(segment.damaged)", "readable": "\(segment.frames)"])
            }
            recovered.depth += segment.items.count
            recovered.sealed.append(sequence)
        }
        return recovered
    }

    /// Scans a whole segment and decodes the frames after its checkpoint.
    static func read(directory: String, sequence: UInt64, logger: Logger) throws(SpoolError) -> LoadedSegment {
        let bytes = try POSIXFile.readAll("\(directory)/\(SpoolFormat.segmentName(sequence))") ?? []
        let checkpoint = try POSIXFile.readAll("\(directory)/\(SpoolFormat.checkpointName(sequence))")
        // The one rule for where replay resumes (the spool-segment fuzz target runs it too).
        let (start, damagedCheckpoint) = SpoolFormat.resumeOffset(checkpoint: checkpoint, segmentLength: bytes.count)
        if damagedCheckpoint {
            logger.warning("spool checkpoint is damaged; replaying its segment from the start (duplicates, no loss)",
                           metadata: ["segment": "\(sequence)"])
        }
        let scan = SpoolFormat.scan(bytes)
        var items: [ReplayItem] = []
        for frame in scan.frames where frame.endOffset > start {
            // The scan keeps only frames whose payload is well-formed, so this does not throw.
            items.append(ReplayItem(record: try SpoolRecord.decode(frame.payload), endOffset: frame.endOffset))
        }
        return LoadedSegment(sequence: sequence, items: items, damaged: scan.damaged, tornBytes: scan.tornBytes,
                             frames: scan.frames.count)
    }
}
