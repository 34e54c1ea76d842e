import Kafka

extension SpoolReplayer {
    /// Sends the next records of the segment that are not done (and that this cluster has not
    /// refused) to the permit's cluster, and marks done what it acknowledged and what every
    /// cluster has now refused for good (those go to the quarantine).
    /// - Returns: whether some records failed in a way that may pass (they are sent again later).
    func sendBatch(_ replay: inout Current, permit: ClusterRouter.Permit, streaks: inout Streaks) async -> Bool {
        let indices = replay.progress.pending(limit: permit.probe ? 1 : options.batchSize, for: permit.cluster)
        let link = links[permit.cluster]
        let result = await link.deliver(batch: indices.map { replay.segment.items[$0].record },
                                        deadline: MonotonicClock.now() + options.acknowledgementTimeout.nanoseconds)
        var acknowledged: [Int] = []
        var refused: [(index: Int, refusal: Spool.Refusal)] = []
        var passedOn = 0
        var failed = 0
        let everyCluster = links.map(\.name.rawValue).joined(separator: ",")
        for (index, outcome) in zip(indices, result.outcomes) {
            if outcome.isAcknowledged {
                acknowledged.append(index)
            } else if case .failed(let error) = outcome, error.isPermanent {
                guard replay.progress.refused(index, by: permit.cluster, of: links.count) else {
                    passedOn += 1  // another cluster may take it: the next batch for one does
                    continue
                }
                let record = replay.segment.items[index].record
                refused.append((index, Spool.Refusal(record: record, cluster: everyCluster, error: error)))
            } else {
                failed += 1
            }
        }
        // A cluster that answered every record, storing or refusing it, is healthy.
        router.report(permit, success: failed == 0)
        if failed > 0, !acknowledged.isEmpty { router.acknowledged(permit.cluster) }  // slow or partial, but alive

        if passedOn > 0 {
            logger.warning("a cluster refused spooled records for good; they go to another cluster", metadata: [
                "cluster": "\(link.name)", "records": "\(passedOn)", "error": "\(result.firstError ?? "unknown")",
            ])
        }
        var done = acknowledged
        if !refused.isEmpty {
            do {
                let file = try await spool.quarantine(refused.map(\.refusal), from: replay.segment.sequence)
                done += refused.map(\.index)
                metrics.quarantine(spool.quarantine)
                logger.error("records every cluster refused for good moved to the spool quarantine; they are not retried", metadata: [
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

        if failed > 0, !streaks.delivery {
            logger.warning("spool replay failed; retrying what was not acknowledged while the spool keeps it", metadata: [
                "cluster": "\(link.name)", "acknowledged": "\(acknowledged.count)", "batch": "\(result.total)",
                "error": "\(result.firstError ?? "unknown")",
            ])
        } else if failed == 0, streaks.delivery {
            logger.info("spool replay resumed", metadata: ["cluster": "\(link.name)"])
        }
        streaks.delivery = failed > 0
        return failed > 0
    }

    /// Writes the checkpoint after the contiguous done prefix, if it moved. A checkpoint that
    /// cannot be written (a full disk) is logged and replay goes on from memory: only a crash
    /// before the next one resends what it would have covered; deleting the segment at its end
    /// is what frees the disk.
    func moveCheckpoint(_ replay: inout Current, streaks: inout Streaks) async {
        guard replay.progress.prefix > replay.checkpointed, !replay.progress.isComplete else { return }
        do {
            try await spool.checkpoint(segment: replay.segment.sequence,
                                       offset: replay.segment.items[replay.progress.prefix - 1].endOffset)
            replay.checkpointed = replay.progress.prefix
            if streaks.checkpoint {
                logger.info("spool checkpoints are written again", metadata: ["segment": "\(replay.segment.sequence)"])
            }
            streaks.checkpoint = false
        } catch {
            if !streaks.checkpoint {
                logger.warning("spool checkpoint could not be written; replay goes on (a crash would resend some records)",
                               metadata: ["segment": "\(replay.segment.sequence)", "error": "\(error)"])
            }
            streaks.checkpoint = true
        }
    }
}
