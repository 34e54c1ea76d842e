import Logging
import Synchronization

/// The local durable spool: where a grant goes when no cluster acknowledged it in time.
///
/// Append-only segment files in one directory (see ``SpoolFormat``), locked with `flock` so two
/// live processes never share it. Appends go through ``SpoolWriter`` (group commit); sealed
/// segments are read back by ``SpoolReplayer``, which checkpoints its progress per segment and
/// deletes a segment once every record in it was acknowledged by a cluster. A process that
/// starts on a directory a crashed one left behind replays everything still in it.
final class Spool: Sendable {
    /// A record read back for replay, with the offset replay resumes at once it is acknowledged.
    struct ReplayItem: Sendable {
        var record: SpoolRecord
        var endOffset: Int
    }

    /// One sealed segment's unreplayed records.
    struct LoadedSegment: Sendable {
        var sequence: UInt64
        var items: [ReplayItem]
        /// Frames that passed their CRC but could not be decoded (skipped, logged).
        var undecodable: Int
    }

    private struct State {
        var sealed: [UInt64]
        var depth: Int
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

    private init(directory: String, lockDescriptor: Int32, sealed: [UInt64], depth: Int, segmentBytes: Int,
                 faults: SpoolFaults, logger: Logger, depthChanged: @escaping @Sendable (Int) -> Void)
    {
        self.directory = directory
        self.faults = faults
        self.lockDescriptor = lockDescriptor
        let state = Shared(State(sealed: sealed, depth: depth))
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
        struct Opened: Sendable {
            var lock: Int32
            var sealed: [UInt64]
            var depth: Int
        }
        let opened = try await onDedicatedThread("reward-spool-open") { () throws -> Opened in
            try POSIXFile.makeDirectory(directory)
            let lock = try POSIXFile.lockExclusively("\(directory)/spool.lock")
            do {
                let (sealed, depth) = try recover(directory: directory, logger: logger)
                return Opened(lock: lock, sealed: sealed, depth: depth)
            } catch {
                POSIXFile.closeFile(lock)
                throw error
            }
        }
        let (lock, sealed, depth) = (opened.lock, opened.sealed, opened.depth)
        if depth > 0 {
            logger.notice("spool holds grants from an earlier run; replaying them when a cluster answers",
                          metadata: ["records": "\(depth)", "segments": "\(sealed.count)"])
        }
        return Spool(directory: directory, lockDescriptor: lock, sealed: sealed, depth: depth, segmentBytes: segmentBytes,
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

    /// Reads a sealed segment's records that were not yet replayed.
    func load(segment sequence: UInt64) async throws -> LoadedSegment {
        let (directory, logger) = (self.directory, self.logger)
        return try await onDedicatedThread("reward-spool-read") { () throws -> LoadedSegment in
            let (scan, _) = try Self.scan(directory: directory, sequence: sequence, logger: logger)
            var items: [ReplayItem] = []
            var undecodable = 0
            items.reserveCapacity(scan.frames.count)
            for frame in scan.frames {
                do {
                    items.append(ReplayItem(record: try SpoolRecord.decode(frame.payload), endOffset: frame.endOffset))
                } catch {
                    undecodable += 1
                    logger.error("spool record cannot be decoded and is skipped", metadata: [
                        "segment": "\(sequence)", "offset": "\(frame.endOffset)", "error": "\(error)",
                    ])
                }
            }
            return LoadedSegment(sequence: sequence, items: items, undecodable: undecodable)
        }
    }

    /// Records that replay got `count` records of `segment` acknowledged, up to `offset`.
    func checkpoint(segment sequence: UInt64, offset: Int, replayed count: Int) async throws {
        let (directory, faults) = (self.directory, self.faults)
        try await onDedicatedThread("reward-spool-checkpoint") { () throws in
            try POSIXFile.writeAtomically(SpoolFormat.encodeCheckpoint(offset), directory: directory,
                                          name: SpoolFormat.checkpointName(sequence), faults: faults)
        }
        reduceDepth(by: count)
    }

    /// Deletes a fully replayed segment and its checkpoint.
    /// - Parameter skipped: records of it that were never replayed (undecodable), taken off the depth.
    func retire(segment sequence: UInt64, skipped: Int = 0) async throws {
        let directory = self.directory
        try await onDedicatedThread("reward-spool-retire") { () throws in
            try POSIXFile.remove("\(directory)/\(SpoolFormat.segmentName(sequence))")
            try POSIXFile.remove("\(directory)/\(SpoolFormat.checkpointName(sequence))")
            try POSIXFile.syncDirectory(directory)
        }
        state.withLock { state in state.sealed.removeAll { $0 == sequence } }
        if skipped > 0 { reduceDepth(by: skipped) }
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

    private func reduceDepth(by count: Int) {
        depthChanged(state.withLock { state in
            state.depth = max(0, state.depth - count)
            return state.depth
        })
    }

    // MARK: Recovery (dedicated thread)

    /// Lists the segments a previous process left, cleans up leftovers, and counts what is unreplayed.
    private static func recover(directory: String, logger: Logger) throws(SpoolError) -> (sealed: [UInt64], depth: Int) {
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
        var sealed: [UInt64] = []
        var depth = 0
        for sequence in sequences {
            do {
                let (scan, torn) = try scan(directory: directory, sequence: sequence, logger: logger)
                if torn > 0 {
                    logger.warning("spool segment ends in a torn record (a crash mid-write); it was never acknowledged and is ignored",
                                   metadata: ["segment": "\(sequence)", "bytes": "\(torn)"])
                }
                depth += scan.frames.count
                sealed.append(sequence)
            } catch where error.code == .corrupt {
                // Not ours: set it aside for a person instead of deleting or replaying it.
                let path = "\(directory)/\(SpoolFormat.segmentName(sequence))"
                logger.error("spool segment is not in the spool format; renamed to .corrupt for inspection",
                             metadata: ["segment": "\(sequence)", "error": "\(error)"])
                _ = rename(path, path + ".corrupt")
            }
        }
        return (sealed, depth)
    }

    /// Scans a segment from its checkpoint; returns the frames and the torn tail's size.
    private static func scan(directory: String, sequence: UInt64, logger: Logger) throws(SpoolError)
        -> (SpoolFormat.Scan, Int)
    {
        let path = "\(directory)/\(SpoolFormat.segmentName(sequence))"
        let bytes = try POSIXFile.readAll(path) ?? []
        var start = SpoolFormat.header.count
        if let checkpoint = try POSIXFile.readAll("\(directory)/\(SpoolFormat.checkpointName(sequence))") {
            if let offset = SpoolFormat.decodeCheckpoint(checkpoint), offset <= bytes.count {
                start = offset
            } else {
                logger.warning("spool checkpoint is damaged; replaying its segment from the start (duplicates, no loss)",
                               metadata: ["segment": "\(sequence)"])
            }
        }
        let scan = try SpoolFormat.scan(bytes, from: start)
        return (scan, scan.tornBytes)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
