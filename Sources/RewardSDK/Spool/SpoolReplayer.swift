import Kafka
import Logging
import Synchronization

/// Sends what the spool holds to whichever cluster takes traffic again, oldest segment first.
///
/// Each batch goes to one cluster and is awaited as a whole, with an outcome per record. A record
/// the cluster acknowledged is never sent again; one it refused for good (too large, a topic it
/// may not write, see ``Kafka/KafkaError/isPermanent``) goes to the spool's quarantine instead of
/// being retried forever; the rest (errors that may pass, no answer in time) is sent again in the
/// next batch. The segment's checkpoint moves over the contiguous prefix of records that are done,
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

    private let spool: Spool
    private let router: ClusterRouter
    private let links: [ClusterLink]
    private let options: Options
    private let logger: Logger
    private let metrics: SDKMetrics
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
    private struct Current {
        var segment: Spool.LoadedSegment
        var progress: ReplayProgress
        var checkpointed = 0
    }

    private func run() async {
        metrics.quarantine(spool.quarantine)
        var current: Current?
        var failing = false
        var checkpointFailing = false
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

            let indices = replay.progress.pending(limit: permit.probe ? 1 : options.batchSize)
            let link = links[permit.cluster]
            let result = await link.deliver(batch: indices.map { replay.segment.items[$0].record },
                                            deadline: MonotonicClock.now() + options.acknowledgementTimeout.nanoseconds)
            var acknowledged: [Int] = []
            var refused: [(index: Int, refusal: Spool.Refusal)] = []
            var failed = 0
            for (index, outcome) in zip(indices, result.outcomes) {
                if outcome.isAcknowledged {
                    acknowledged.append(index)
                } else if case .failed(let error) = outcome, error.isPermanent {
                    refused.append((index, Spool.Refusal(record: replay.segment.items[index].record, cluster: link.name.rawValue,
                                                         error: error)))
                } else {
                    failed += 1
                }
            }
            // A cluster that answered every record, storing or refusing it, is healthy.
            router.report(permit, success: failed == 0)

            var done = acknowledged
            if !refused.isEmpty {
                do {
                    let file = try await spool.quarantine(refused.map(\.refusal), from: replay.segment.sequence)
                    done += refused.map(\.index)
                    metrics.quarantine(spool.quarantine)
                    logger.error("records a cluster refused for good moved to the spool quarantine; they are not retried", metadata: [
                        "cluster": "\(link.name)", "records": "\(refused.count)", "file": "\(file)",
                        "codes": "\(Set(refused.map { "\($0.refusal.error.code)" }).sorted().joined(separator: ","))",
                    ])
                } catch {
                    failed += refused.count
                    logger.error("spool quarantine could not be written; the refused records stay in the spool and are sent again",
                                 metadata: ["segment": "\(replay.segment.sequence)", "error": "\(error)"])
                }
            }
            replay.progress.complete(done)
            spool.settled(done.count)
            metrics.replayed(cluster: permit.cluster, count: acknowledged.count)

            if replay.progress.prefix > replay.checkpointed, !replay.progress.isComplete {
                do {
                    try await spool.checkpoint(segment: replay.segment.sequence,
                                               offset: replay.segment.items[replay.progress.prefix - 1].endOffset)
                    replay.checkpointed = replay.progress.prefix
                    if checkpointFailing {
                        logger.info("spool checkpoints are written again", metadata: ["segment": "\(replay.segment.sequence)"])
                        checkpointFailing = false
                    }
                } catch {
                    // Replay goes on from memory; only a crash now would resend what the checkpoint covers.
                    if !checkpointFailing {
                        logger.warning("spool checkpoint could not be written; replay goes on (a crash would resend some records)",
                                       metadata: ["segment": "\(replay.segment.sequence)", "error": "\(error)"])
                        checkpointFailing = true
                    }
                }
            }
            current = replay

            if failed > 0 {
                if !failing {
                    logger.warning("spool replay failed; retrying what was not acknowledged while the spool keeps it", metadata: [
                        "cluster": "\(link.name)", "acknowledged": "\(acknowledged.count)", "batch": "\(result.total)",
                        "error": "\(result.firstError ?? "unknown")",
                    ])
                    failing = true
                }
                await pause(options.retryInterval)
            } else if failing {
                logger.info("spool replay resumed", metadata: ["cluster": "\(link.name)"])
                failing = false
            }
        }
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
