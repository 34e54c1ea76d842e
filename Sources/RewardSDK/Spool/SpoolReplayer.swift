import Logging
import Synchronization

/// Sends what the spool holds to whichever cluster takes traffic again, oldest segment first.
///
/// Each batch goes to one cluster and is awaited as a whole, with an outcome per record. A record
/// the cluster acknowledged is never sent again; one it refused for good (too large, a topic it
/// may not write, see ``Kafka/KafkaError/isPermanent``) goes to the other clusters, and to the
/// spool's quarantine once every cluster has refused it, instead of being retried forever; the
/// rest (errors that may pass, no answer in time) is sent again in the next batch. The segment's checkpoint moves over the contiguous prefix of records that are done,
/// so a crash resends at most what was in flight or done after a gap (at-least-once; consumers
/// de-duplicate by order id). A checkpoint that cannot be written (a full disk) does not stop
/// replay: the segment is deleted at its end anyway, which is what frees the disk. A segment
/// with damage in the middle is replayed as far as it can be read and then kept in the
/// quarantine instead of deleted. While every cluster is out of rotation the replayer waits;
/// after a cluster's cool-down its first batch is a single record, the breaker's probe.
final class SpoolReplayer: Sendable {
    struct Options: Sendable {
        var batchSize: Int
        var acknowledgementTimeout: Duration
        var idleInterval: Duration
        var retryInterval: Duration
    }

    let spool: Spool
    let router: ClusterRouter
    let links: [ClusterLink]
    let options: Options
    let logger: Logger
    let metrics: SDKMetrics
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(spool: Spool, router: ClusterRouter, links: [ClusterLink], options: Options, logger: Logger, metrics: SDKMetrics) {
        self.spool = spool
        self.router = router
        self.links = links
        self.options = options
        self.logger = logger
        self.metrics = metrics
    }

    func start() {
        task.withLock { task in
            guard task == nil else { return }
            task = Task { [self] in await run() }
        }
    }

    /// Stops after the batch in flight; what is left stays in the spool for the next start.
    func stop() async {
        guard let running = task.withLock({ $0 }) else { return }
        running.cancel()
        await running.value
    }

    /// The segment being replayed: its records, which are done, and how far its checkpoint is.
    struct Current {
        var segment: Spool.LoadedSegment
        var progress: ReplayProgress
        var checkpointed = 0
    }

    /// Whether the last batch or checkpoint failed, so a lasting failure is logged once, not per try.
    struct Streaks {
        var delivery = false
        var checkpoint = false
    }

    private func run() async {
        metrics.quarantine(spool.quarantine)
        var current: Current?
        var streaks = Streaks()
        while !Task.isCancelled {
            guard spool.depth > 0 || spool.hasSealedSegments else {
                await pause(options.idleInterval)
                continue
            }
            guard let permit = router.route() else {
                await pause(options.idleInterval)
                continue
            }
            if current == nil {
                guard let sequence = await spool.oldestSealedSegment(sealActive: true) else {
                    router.release(permit)
                    await pause(options.idleInterval)
                    continue
                }
                do {
                    let segment = try await spool.load(segment: sequence)
                    current = Current(segment: segment, progress: ReplayProgress(count: segment.items.count))
                } catch {
                    router.release(permit)
                    logger.error("spool segment could not be read; retrying", metadata: ["segment": "\(sequence)", "error": "\(error)"])
                    await pause(options.retryInterval)
                    continue
                }
            }
            guard var replay = current else {
                router.release(permit)
                continue
            }
            guard !replay.progress.isComplete else {
                router.release(permit)
                if await finish(replay.segment) {
                    current = nil
                } else {
                    await pause(options.retryInterval)
                }
                continue
            }
            guard let chosen = permitWithWork(replay, first: permit) else {
                // Every cluster taking traffic refused what is left of this segment; one that has
                // not may stay down for long, and the segments behind must not wait for it.
                await requeueAtTail(&replay, streaks: &streaks)
                current = replay
                await pause(options.retryInterval)
                continue
            }
            let failed = await sendBatch(&replay, permit: chosen, streaks: &streaks)
            await moveCheckpoint(&replay, streaks: &streaks)
            current = replay
            if failed { await pause(options.retryInterval) }
        }
    }

    /// `first`, or a permit for another cluster when `first`'s cluster refused every record left;
    /// `nil` when no cluster that admits traffic has records to try.
    private func permitWithWork(_ replay: Current, first: ClusterRouter.Permit) -> ClusterRouter.Permit? {
        var permit = first
        var tried: UInt64 = 0
        while replay.progress.pending(limit: 1, for: permit.cluster).isEmpty {
            router.release(permit)
            tried |= UInt64(1) << UInt64(permit.cluster)
            guard let next = router.route(excluding: tried) else { return nil }
            permit = next
        }
        return permit
    }

    /// Appends what is left of the segment to the spool's tail (durable first, then marked done
    /// here): replay moves on to the next segment and meets these records again, to be tried on
    /// every cluster afresh. A crash in between leaves two copies, absorbed by order id.
    private func requeueAtTail(_ replay: inout Current, streaks: inout Streaks) async {
        let left = replay.progress.pending(limit: replay.segment.items.count)
        let records = left.map { replay.segment.items[$0].record }
        do {
            // Appended together, so the spool's group commit syncs them at once, not one fsync each.
            try await withThrowingTaskGroup(of: Void.self) { [spool] group in
                for record in records { group.addTask { try await spool.append(record) } }
                try await group.waitForAll()
            }
        } catch {
            logger.error("records every available cluster refused could not be moved behind the spool's newer ones; retrying",
                         metadata: ["segment": "\(replay.segment.sequence)", "error": "\(error)"])
            return
        }
        replay.progress.complete(left)
        spool.settled(left.count)
        logger.warning("records every cluster in rotation refused for good moved to the spool's tail, to try again after the rest",
                       metadata: ["segment": "\(replay.segment.sequence)", "records": "\(left.count)"])
        await moveCheckpoint(&replay, streaks: &streaks)
    }

    /// Deletes a segment replay is done with, or keeps it in the quarantine when part of it
    /// could not be read. Returns `false` when that failed (it is tried again).
    private func finish(_ segment: Spool.LoadedSegment) async -> Bool {
        do {
            if segment.isDamaged {
                let file = try await spool.quarantine(damaged: segment)
                metrics.quarantine(spool.quarantine)
                logger.error("damaged spool segment replayed as far as it could be read and kept in the quarantine", metadata: [
                    "segment": "\(segment.sequence)", "file": "\(file)", "readable": "\(segment.frames)",
                    "unreadable": "\(segment.damaged.map { "\($0.lowerBound)..<\($0.upperBound)" }.joined(separator: ","))",
                ])
            } else {
                try await spool.retire(segment: segment.sequence)
                logger.info("spool segment replayed and deleted", metadata: ["segment": "\(segment.sequence)"])
            }
            return true
        } catch {
            logger.error("replayed spool segment could not be deleted or quarantined; retrying",
                         metadata: ["segment": "\(segment.sequence)", "error": "\(error)"])
            return false
        }
    }

    private func pause(_ duration: Duration) async {
        try? await Task.sleep(for: duration)
    }
}
