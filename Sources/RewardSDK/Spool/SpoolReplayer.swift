import Logging
import Synchronization

/// Sends what the spool holds to whichever cluster takes traffic again, oldest segment first.
///
/// Each batch goes to one cluster and is awaited as a whole; only then is the segment's
/// checkpoint moved past it, and a segment is deleted once all of it was acknowledged. A crash
/// in between resends at most the batch in flight (at-least-once; consumers de-duplicate by
/// order id). While every cluster is out of rotation the replayer waits; after a cluster's
/// cool-down its first batch is a single record, the breaker's probe.
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

    private func run() async {
        var loaded: Spool.LoadedSegment?
        var position = 0
        var failing = false
        while !Task.isCancelled {
            guard spool.depth > 0 || spool.hasSealedSegments else {
                await pause(options.idleInterval)
                continue
            }
            guard let permit = router.route() else {
                await pause(options.idleInterval)
                continue
            }
            if loaded == nil {
                guard let sequence = await spool.oldestSealedSegment(sealActive: true) else {
                    router.release(permit)
                    await pause(options.idleInterval)
                    continue
                }
                do {
                    loaded = try await spool.load(segment: sequence)
                    position = 0
                } catch {
                    router.release(permit)
                    logger.error("spool segment could not be read; retrying", metadata: ["segment": "\(sequence)", "error": "\(error)"])
                    await pause(options.retryInterval)
                    continue
                }
            }
            guard let segment = loaded else {
                router.release(permit)
                continue
            }
            guard position < segment.items.count else {
                router.release(permit)
                do {
                    try await spool.retire(segment: segment.sequence, skipped: segment.undecodable)
                    logger.info("spool segment replayed and deleted", metadata: ["segment": "\(segment.sequence)"])
                    loaded = nil
                } catch {
                    logger.error("replayed spool segment could not be deleted; retrying",
                                 metadata: ["segment": "\(segment.sequence)", "error": "\(error)"])
                    await pause(options.retryInterval)
                }
                continue
            }

            let count = permit.probe ? 1 : min(options.batchSize, segment.items.count - position)
            let items = segment.items[position..<position + count]
            let link = links[permit.cluster]
            let result = await link.deliver(batch: items.map(\.record),
                                            deadline: MonotonicClock.now() + options.acknowledgementTimeout.nanoseconds)
            router.report(permit, success: result.allAcknowledged)
            guard result.allAcknowledged else {
                if !failing {
                    logger.warning("spool replay failed; retrying while the spool keeps the records", metadata: [
                        "cluster": "\(link.name)", "acknowledged": "\(result.acknowledged)", "batch": "\(result.total)",
                        "error": "\(result.firstError ?? "unknown")",
                    ])
                    failing = true
                }
                await pause(options.retryInterval)
                continue
            }
            guard let end = items.last?.endOffset else { continue }
            do {
                try await spool.checkpoint(segment: segment.sequence, offset: end, replayed: count)
                position += count
                metrics.replayed(cluster: permit.cluster, count: count)
                if failing {
                    logger.info("spool replay resumed", metadata: ["cluster": "\(link.name)"])
                    failing = false
                }
            } catch {
                // The batch is delivered but not checkpointed: it will be sent again (a duplicate).
                logger.error("spool checkpoint failed; the batch will be replayed again",
                             metadata: ["segment": "\(segment.sequence)", "error": "\(error)"])
                await pause(options.retryInterval)
            }
        }
    }

    private func pause(_ duration: Duration) async {
        try? await Task.sleep(for: duration)
    }
}
