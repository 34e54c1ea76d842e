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

    struct State {
        var sealed: [UInt64]
        var depth: Int
        var quarantine: QuarantineCounts
        var nextQuarantine: UInt64
        var closed = false
    }

    /// The state, by reference, so the writer's callbacks can share it.
    final class Shared: Sendable {
        let mutex: Mutex<State>
        init(_ state: State) { mutex = Mutex(state) }

        func withLock<R>(_ body: (inout State) -> R) -> R { mutex.withLock { body(&$0) } }
    }

    let directory: String
    private let lockDescriptor: Int32
    let state: Shared
    private let writer: SpoolWriter
    let logger: Logger
    private let depthChanged: @Sendable (Int) -> Void

    let faults: SpoolFaults

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
    /// - Throws: `SpoolError` `SpoolError/Code/locked` when a live process holds the directory.
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
    /// - Throws: `SpoolError` when it could not be written and synced; the caller must not
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
    /// - Throws: `SpoolError` when it could not be written (a full disk): replay goes on, and
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
}
