import Foundation

/// Where replay puts what it cannot deliver instead of deleting it (see ``SpoolQuarantineNote``).
extension Spool {
    /// Writes records a cluster refused for good to a new quarantine file, with a note saying who
    /// refused each and why. Once this returns they are durable there and replay may pass them.
    /// - Returns: the quarantine file's name.
    /// - Throws: `SpoolError` when it could not be written (the records stay in their segment).
    @discardableResult
    func quarantine(_ refusals: [Refusal], from sequence: UInt64) async throws -> String {
        let number = state.withLock { state in
            defer { state.nextQuarantine += 1 }
            return state.nextQuarantine
        }
        let log = refusals.reduce(into: SpoolFormat.header) { $0 += SpoolFormat.frame($1.record) }
        let note = SpoolQuarantineNote(
            kind: .refused, sourceSegment: SpoolFormat.segmentName(sequence), createdAt: Date(),
            refusals: refusals.map { refusal in
                SpoolQuarantineNote.Refusal(
                    orderID: String(decoding: refusal.record.key, as: UTF8.self), topic: refusal.record.topic,
                    cluster: refusal.cluster, code: "\(refusal.error.code)", message: refusal.error.message)
            })
        let (directory, faults) = (self.directory, self.faults)
        try await onDedicatedThread("reward-spool-quarantine") { () throws in
            // The note first: a crash between the two leaves a note without a file, removed on open.
            try POSIXFile.writeAtomically(note.encoded(), directory: directory,
                                          name: SpoolFormat.quarantineNoteName(number), faults: faults)
            try POSIXFile.writeAtomically(log, directory: directory, name: SpoolFormat.quarantineName(number), faults: faults)
        }
        state.withLock { $0.quarantine.refusedRecords += refusals.count }
        return SpoolFormat.quarantineName(number)
    }

    /// Keeps a damaged segment whose readable records were all replayed: renamed into the
    /// quarantine (renaming needs no free space), its note listing the ranges it could not read.
    /// - Returns: the quarantine file's name.
    @discardableResult
    func quarantine(damaged segment: LoadedSegment) async throws -> String {
        let number = state.withLock { state in
            defer { state.nextQuarantine += 1 }
            return state.nextQuarantine
        }
        let note = SpoolQuarantineNote(
            kind: .damaged, sourceSegment: SpoolFormat.segmentName(segment.sequence), createdAt: Date(),
            unreadable: segment.damaged.map(SpoolQuarantineNote.ByteRange.init), tornBytes: segment.tornBytes,
            recoveredFrames: segment.frames)
        let (directory, faults, logger) = (self.directory, self.faults, self.logger)
        try await onDedicatedThread("reward-spool-quarantine") { () throws in
            let name = SpoolFormat.quarantineName(number)
            do {
                try POSIXFile.writeAtomically(note.encoded(), directory: directory,
                                              name: SpoolFormat.quarantineNoteName(number), faults: faults)
            } catch {
                // The file alone still shows its damage to a reader; keeping it matters more than the note.
                logger.warning("spool quarantine note could not be written; the damaged segment is kept without it",
                               metadata: ["segment": "\(segment.sequence)", "error": "\(error)"])
            }
            try POSIXFile.rename("\(directory)/\(SpoolFormat.segmentName(segment.sequence))", to: "\(directory)/\(name)")
            try POSIXFile.remove("\(directory)/\(SpoolFormat.checkpointName(segment.sequence))")
            try POSIXFile.syncDirectory(directory)
        }
        state.withLock { state in
            state.sealed.removeAll { $0 == segment.sequence }
            state.quarantine.damagedSegments += 1
        }
        return SpoolFormat.quarantineName(number)
    }
}
