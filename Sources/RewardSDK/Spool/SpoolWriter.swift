import Dispatch
import Foundation
import Logging
import Synchronization

/// The spool's one writing thread: appends frames to the active segment with group commit.
///
/// Callers enqueue a framed record and wait. The thread takes everything queued, writes it with
/// one `write`, makes it durable with one `fdatasync`, and only then resumes those callers; what
/// arrives meanwhile forms the next batch. So under load one sync covers many grants, and no
/// caller is answered before its own record is on disk. All file calls stay on this thread.
final class SpoolWriter: Sendable {
    typealias AppendContinuation = UnsafeContinuation<Result<Void, SpoolError>, Never>

    private enum Job {
        case append(frame: [UInt8], continuation: AppendContinuation)
        case seal(UnsafeContinuation<Void, Never>)
        case close(UnsafeContinuation<Void, Never>)
    }

    private struct Queue {
        var jobs: [Job] = []
        var writerWaiting = false
        var closed = false
    }

    /// What the writer reports back to the spool, on its own thread.
    struct Callbacks: Sendable {
        /// `count` records became durable in the active segment.
        var committed: @Sendable (_ count: Int) -> Void
        /// A segment will never be appended to again and may be replayed and retired.
        var sealed: @Sendable (_ sequence: UInt64) -> Void
    }

    private let queue = Mutex(Queue())
    private let wake = DispatchSemaphore(value: 0)
    private let syncs = Atomic<Int>(0)

    /// Starts the thread. New segments are numbered from `nextSequence` on.
    init(directory: String, nextSequence: UInt64, segmentBytes: Int, faults: SpoolFaults, logger: Logger, callbacks: Callbacks) {
        let thread = Thread { [self] in
            var files = ActiveSegment(directory: directory, nextSequence: nextSequence, segmentBytes: segmentBytes,
                                      faults: faults, logger: logger, callbacks: callbacks)
            run(&files)
        }
        thread.name = "reward-spool-writer"
        thread.start()
    }

    /// How many `fdatasync` calls covered appended records (group commit makes this ≤ appends).
    var syncCount: Int { syncs.load(ordering: .relaxed) }

    /// Appends one framed record and returns once it is durable (or failed).
    func append(frame: [UInt8]) async -> Result<Void, SpoolError> {
        await withUnsafeContinuation { continuation in
            if !enqueue(.append(frame: frame, continuation: continuation)) {
                continuation.resume(returning: .failure(SpoolError(.closed, "the spool is closed")))
            }
        }
    }

    /// Closes the active segment (if any) so that replay can take it.
    func seal() async {
        await withUnsafeContinuation { continuation in
            if !enqueue(.seal(continuation)) { continuation.resume() }
        }
    }

    /// Commits what is queued, closes the active segment and ends the thread.
    func close() async {
        await withUnsafeContinuation { continuation in
            if !enqueue(.close(continuation), closing: true) { continuation.resume() }
        }
    }

    private func enqueue(_ job: Job, closing: Bool = false) -> Bool {
        let (accepted, signal) = queue.withLock { queue -> (Bool, Bool) in
            guard !queue.closed else { return (false, false) }
            queue.closed = closing
            queue.jobs.append(job)
            guard queue.writerWaiting else { return (true, false) }
            queue.writerWaiting = false
            return (true, true)
        }
        if signal { wake.signal() }
        return accepted
    }

    private func takeJobs() -> [Job] {
        while true {
            let jobs = queue.withLock { queue -> [Job] in
                if queue.jobs.isEmpty {
                    queue.writerWaiting = true
                    return []
                }
                defer { queue.jobs.removeAll(keepingCapacity: true) }
                return queue.jobs
            }
            if !jobs.isEmpty { return jobs }
            wake.wait()
        }
    }

    private func run(_ files: inout ActiveSegment) {
        while true {
            var appends: [(frame: [UInt8], continuation: AppendContinuation)] = []
            for job in takeJobs() {
                switch job {
                case .append(let frame, let continuation):
                    appends.append((frame, continuation))
                case .seal(let continuation):
                    commit(&appends, &files)
                    files.seal()
                    continuation.resume()
                case .close(let continuation):
                    commit(&appends, &files)
                    files.seal()
                    continuation.resume()
                    return
                }
            }
            commit(&appends, &files)
        }
    }

    private func commit(_ appends: inout [(frame: [UInt8], continuation: AppendContinuation)], _ files: inout ActiveSegment) {
        guard !appends.isEmpty else { return }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(appends.reduce(0) { $0 + $1.frame.count })
        for append in appends { buffer.append(contentsOf: append.frame) }
        let result = files.append(buffer, records: appends.count)
        if case .success = result { syncs.add(1, ordering: .relaxed) }
        for append in appends { append.continuation.resume(returning: result) }
        appends.removeAll(keepingCapacity: true)
    }
}

/// The segment being appended to; touched only by the writer thread.
private struct ActiveSegment {
    let directory: String
    var nextSequence: UInt64
    let segmentBytes: Int
    let faults: SpoolFaults
    let logger: Logger
    let callbacks: SpoolWriter.Callbacks
    private var open: (sequence: UInt64, fd: Int32, path: String, size: Int)?

    init(directory: String, nextSequence: UInt64, segmentBytes: Int, faults: SpoolFaults, logger: Logger,
         callbacks: SpoolWriter.Callbacks)
    {
        self.directory = directory
        self.nextSequence = nextSequence
        self.segmentBytes = segmentBytes
        self.faults = faults
        self.logger = logger
        self.callbacks = callbacks
    }

    /// Writes `bytes` (whole frames) and syncs them; on failure the segment is closed for good.
    mutating func append(_ bytes: [UInt8], records: Int) -> Result<Void, SpoolError> {
        do throws(SpoolError) {
            let segment = try openSegment()
            do throws(SpoolError) {
                try POSIXFile.writeAll(segment.fd, bytes, path: segment.path, faults: faults)
            } catch {
                // Cut the partial frames off so the segment stays well-formed; if even that
                // fails, sealing it leaves them as a tail that readers skip when torn (whole frames
                // in it would be replayed: duplicates of grants whose callers heard not_durable).
                try? POSIXFile.truncate(segment.fd, to: segment.size, path: segment.path)
                throw error
            }
            do throws(SpoolError) {
                try POSIXFile.sync(segment.fd, path: segment.path, faults: faults)
            } catch {
                // After a failed fdatasync the kernel may have dropped the dirty pages and a retry
                // can falsely succeed, so the segment is never written again. Its callers hear
                // not_durable, so their frames are cut off (best effort) rather than replayed.
                try? POSIXFile.truncate(segment.fd, to: segment.size, path: segment.path)
                throw error
            }
            open?.size += bytes.count
            callbacks.committed(records)
            if (open?.size ?? 0) >= segmentBytes { seal() }
            return .success(())
        } catch {
            logger.error("spool write failed; the segment is closed and the next write starts a new one",
                         metadata: ["error": "\(error)"])
            seal()
            return .failure(error)
        }
    }

    /// Closes the active segment and hands it to replay.
    mutating func seal() {
        guard let segment = open else { return }
        POSIXFile.closeFile(segment.fd)
        open = nil
        callbacks.sealed(segment.sequence)
    }

    /// The open segment, or a new one whose header is durable. A new segment whose header cannot
    /// be written (a full disk) is removed again, so failing appends leave no empty files behind.
    private mutating func openSegment() throws(SpoolError) -> (fd: Int32, path: String, size: Int) {
        if let open { return (open.fd, open.path, open.size) }
        let sequence = nextSequence
        nextSequence += 1
        let path = "\(directory)/\(SpoolFormat.segmentName(sequence))"
        let fd = try POSIXFile.createExclusive(path)
        do throws(SpoolError) {
            try POSIXFile.writeAll(fd, SpoolFormat.header, path: path, faults: faults)
            try POSIXFile.sync(fd, path: path, faults: faults)
            try POSIXFile.syncDirectory(directory)
        } catch {
            POSIXFile.closeFile(fd)
            try? POSIXFile.remove(path)
            throw error
        }
        open = (sequence, fd, path, SpoolFormat.header.count)
        return (fd, path, SpoolFormat.header.count)
    }
}
