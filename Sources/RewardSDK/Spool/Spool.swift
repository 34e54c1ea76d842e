import Foundation
import Kafka
import Logging
import Synchronization

/// The local durable spool: where a grant goes when no cluster acknowledged it in time.
///
/// Append-only segment files in one directory (see ``SpoolFormat``), locked with `flock` so two
/// live processes never share it. Appends go through ``SpoolWriter`` (group commit); sealed
/// segments are read back by ``SpoolReplayer``, which checkpoints its progress per segment and
/// deletes a segment once every record in it was acknowledged by a cluster. A process that
/// starts on a directory a crashed one left behind replays everything still in it.
///
/// What replay cannot deliver is never deleted: records a cluster refused for good and segments
/// with damage in the middle move to the quarantine (`quarantine-<n>.log` with a note saying why,
/// see ``SpoolQuarantineNote``), for a person to look at (`reward-admin drain-spool --list`).
final class Spool: Sendable {
    /// A record read back for replay, with the offset replay resumes at once it is acknowledged.
    struct ReplayItem: Sendable {
        var record: SpoolRecord
        var endOffset: Int
    }

    /// One sealed segment's unreplayed records, and what of it could not be read.
    struct LoadedSegment: Sendable {
        var sequence: UInt64
        var items: [ReplayItem]
        /// Byte ranges that could not be read (the frames after each were); a damaged segment is
        /// quarantined instead of deleted once its readable records are replayed.
        var damaged: [Range<Int>] = []
        var tornBytes: Int = 0
        /// Frames that could be read, replayed earlier or not.
        var frames: Int = 0

        var isDamaged: Bool { !damaged.isEmpty }
    }

    /// A record a cluster refused for good, and why.
    struct Refusal: Sendable {
        var record: SpoolRecord
        var cluster: String
        var error: KafkaError
    }

    /// What the quarantine holds.
    struct QuarantineCounts: Sendable, Equatable {
        /// Records a cluster refused for good.
        var refusedRecords = 0
        /// Segments kept because part of them could not be read.
        var damagedSegments = 0
    }

    private struct State {
        var sealed: [UInt64]
        var depth: Int
        var quarantine: QuarantineCounts
        var nextQuarantine: UInt64
        var closed = false
    }

    /// The state, by reference, so the writer's callbacks can share it.
    private final class Shared: Sendable {
        let mutex: Mutex<State>
        init(_ state: State) { mutex = Mutex(state) }

        func withLock<R>(_ body: (inout State) -> R) -> R { mutex.withLock { body(&$0) } }
    }

    let directory: String
    private let lockDescriptor: Int32
    private let state: Shared
    private let writer: SpoolWriter
    private let logger: Logger
    private let depthChanged: @Sendable (Int) -> Void

    private let faults: SpoolFaults

    private init(directory: String, lockDescriptor: Int32, recovered: Recovered, segmentBytes: Int,
                 faults: SpoolFaults, logger: Logger, depthChanged: @escaping @Sendable (Int) -> Void)
    {
        let (sealed, depth) = (recovered.sealed, recovered.depth)
        self.directory = directory
        self.faults = faults
        self.lockDescriptor = lockDescriptor
        let state = Shared(State(sealed: sealed, depth: depth, quarantine: recovered.quarantine,
                                 nextQuarantine: recovered.nextQuarantine))
        self.state = state
        self.logger = logger
        self.depthChanged = depthChanged
        self.writer = SpoolWriter(
            directory: directory, nextSequence: (sealed.last ?? 0) + 1, segmentBytes: segmentBytes, faults: faults,
            logger: logger,
            callbacks: SpoolWriter.Callbacks(
                committed: { count in
                    depthChanged(state.withLock { state in
                        state.depth += count
                        return state.depth
                    })
                },
                sealed: { sequence in state.withLock { $0.sealed.append(sequence) } }))
        depthChanged(depth)
    }

    /// Opens (creating) the spool directory, locks it, and counts what earlier processes left.
    /// - Throws: ``SpoolError`` ``SpoolError/Code/locked`` when a live process holds the directory.
    /// - Parameter faults: test hooks; ``SpoolFaults/none`` in production.
    static func open(directory: String, segmentBytes: Int, logger: Logger, faults: SpoolFaults = .none,
                     depthChanged: @escaping @Sendable (Int) -> Void = { _ in }) async throws -> Spool
    {
        let (lock, recovered) = try await onDedicatedThread("reward-spool-open") { () throws -> (Int32, Recovered) in
            try POSIXFile.makeDirectory(directory)
            let lock = try POSIXFile.lockExclusively("\(directory)/spool.lock")
            do {
                return (lock, try recover(directory: directory, logger: logger))
            } catch {
                POSIXFile.closeFile(lock)
                throw error
            }
        }
        if recovered.depth > 0 {
            logger.notice("spool holds grants from an earlier run; replaying them when a cluster answers",
                          metadata: ["records": "\(recovered.depth)", "segments": "\(recovered.sealed.count)"])
        }
        if recovered.quarantine != QuarantineCounts() {
            logger.warning("spool quarantine holds records a cluster refused or damaged segments: reward-admin drain-spool --list",
                           metadata: ["refusedRecords": "\(recovered.quarantine.refusedRecords)",
                                      "damagedSegments": "\(recovered.quarantine.damagedSegments)"])
        }
        return Spool(directory: directory, lockDescriptor: lock, recovered: recovered, segmentBytes: segmentBytes,
                     faults: faults, logger: logger, depthChanged: depthChanged)
    }

    /// Records appended and not yet acknowledged by a cluster through replay.
    var depth: Int { state.withLock { $0.depth } }

    /// Whether sealed segments wait for replay or deletion.
    var hasSealedSegments: Bool { state.withLock { !$0.sealed.isEmpty } }

    /// `fdatasync` calls that covered appends so far (tests check group commit with it).
    var syncCount: Int { writer.syncCount }

    /// Appends one record; returns once it is durable.
    /// - Throws: ``SpoolError`` when it could not be written and synced; the caller must not
    ///   treat the grant as accepted.
    func append(_ record: SpoolRecord) async throws(SpoolError) {
        try await writer.append(frame: SpoolFormat.frame(record)).get()
    }

    /// The oldest sealed segment; when there is none and `sealActive`, the segment being written
    /// is sealed first so that its records can be replayed too.
    func oldestSealedSegment(sealActive: Bool) async -> UInt64? {
        if let first = state.withLock({ $0.sealed.first }) { return first }
        guard sealActive, depth > 0 else { return nil }
        await writer.seal()
        return state.withLock { $0.sealed.first }
    }

    /// What the quarantine holds.
    var quarantine: QuarantineCounts { state.withLock { $0.quarantine } }

    /// Reads a sealed segment's records that were not yet replayed, reading past damage.
    func load(segment sequence: UInt64) async throws -> LoadedSegment {
        let (directory, logger) = (self.directory, self.logger)
        return try await onDedicatedThread("reward-spool-read") { () throws -> LoadedSegment in
            try Self.read(directory: directory, sequence: sequence, logger: logger)
        }
    }

    /// Moves the segment's checkpoint to `offset`: a restart resumes there (never decreasing).
    /// - Throws: ``SpoolError`` when it could not be written (a full disk): replay goes on, and
    ///   only a crash before the next checkpoint would resend what it covers.
    func checkpoint(segment sequence: UInt64, offset: Int) async throws {
        let (directory, faults) = (self.directory, self.faults)
        try await onDedicatedThread("reward-spool-checkpoint") { () throws in
            try POSIXFile.writeAtomically(SpoolFormat.encodeCheckpoint(offset), directory: directory,
                                          name: SpoolFormat.checkpointName(sequence), faults: faults)
        }
    }

    /// Takes `count` records off the depth: a cluster acknowledged them, or they were quarantined.
    func settled(_ count: Int) {
        guard count > 0 else { return }
        depthChanged(state.withLock { state in
            state.depth = max(0, state.depth - count)
            return state.depth
        })
    }

    /// Deletes a fully replayed segment and its checkpoint (freeing the disk needs no free space).
    func retire(segment sequence: UInt64) async throws {
        let directory = self.directory
        try await onDedicatedThread("reward-spool-retire") { () throws in
            try POSIXFile.remove("\(directory)/\(SpoolFormat.segmentName(sequence))")
            try POSIXFile.remove("\(directory)/\(SpoolFormat.checkpointName(sequence))")
            try POSIXFile.syncDirectory(directory)
        }
        state.withLock { state in state.sealed.removeAll { $0 == sequence } }
    }

    /// Writes records a cluster refused for good to a new quarantine file, with a note saying who
    /// refused each and why. Once this returns they are durable there and replay may pass them.
    /// - Returns: the quarantine file's name.
    /// - Throws: ``SpoolError`` when it could not be written (the records stay in their segment).
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

    /// Commits what is queued, closes the active segment and releases the directory lock.
    func close() async {
        let first = state.withLock { state -> Bool in
            defer { state.closed = true }
            return !state.closed
        }
        guard first else { return }
        await writer.close()
        POSIXFile.closeFile(lockDescriptor)
    }

    // MARK: Recovery and reading (dedicated thread)

    /// What an earlier process left in the directory.
    struct Recovered: Sendable {
        var sealed: [UInt64] = []
        var depth = 0
        var quarantine = QuarantineCounts()
        var nextQuarantine: UInt64 = 1
    }

    /// Lists the segments a previous process left, cleans up leftovers, and counts what is
    /// unreplayed and what is in the quarantine.
    private static func recover(directory: String, logger: Logger) throws(SpoolError) -> Recovered {
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
    private static func read(directory: String, sequence: UInt64, logger: Logger) throws(SpoolError) -> LoadedSegment {
        let bytes = try POSIXFile.readAll("\(directory)/\(SpoolFormat.segmentName(sequence))") ?? []
        var start = 0
        if let checkpoint = try POSIXFile.readAll("\(directory)/\(SpoolFormat.checkpointName(sequence))") {
            if let offset = SpoolFormat.decodeCheckpoint(checkpoint), offset <= bytes.count {
                start = offset
            } else {
                logger.warning("spool checkpoint is damaged; replaying its segment from the start (duplicates, no loss)",
                               metadata: ["segment": "\(sequence)"])
            }
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
