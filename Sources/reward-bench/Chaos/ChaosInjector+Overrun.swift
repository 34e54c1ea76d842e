import Foundation
import Kafka
import RewardCore
import RewardOps

/// `retention-overrun` (RELIABILITY row 11): a lane's consumers on one cluster fall so far behind
/// that the log start of a partition passes the group's committed offset. The lane must halt and
/// say so (it never skips records by itself); the runbook brings it back.
///
/// The overrun is made on the lane's retry topic, which only those consumers write to: once they
/// are stopped with nothing unread on the partition, everything the overrun deletes is the
/// harness's own junk, so no answered grant is lost (overrunning the main topic deletes grants,
/// which `OffsetsTests` recovers with `reconcile --repair`).
extension ChaosInjector {
    /// What an overrun left for its heal: the partition, the group's committed offset when the
    /// consumers were stopped, and how many junk records were written after it.
    struct Overrun: Sendable {
        var topic: String
        var partition: Int32
        var committed: Int64
        var written: Int64
    }

    private func offsets(_ fault: ChaosFault) -> LaneOffsets {
        LaneOffsets(connection: KafkaConnection(bootstrapServers: stack.clusters[fault.cluster] ?? []), cluster: fault.cluster, pool: nil, logger: logger)
    }

    private func lane(_ fault: ChaosFault) -> Lane { fault.laneIndex == 0 ? .cash : .goods }

    private func read(_ fault: ChaosFault, _ topic: String, _ partition: Int32) async throws -> GroupPartitionOffsets {
        let report = try await offsets(fault).show(topic: topic, lane: lane(fault))
        guard let found = report.partitions.first(where: { $0.partition == partition }) else {
            throw ChaosError("\(topic) on \(fault.cluster) has no partition \(partition)")
        }
        return found
    }

    func overrun(_ fault: ChaosFault) async throws {
        let topic = "\(ChaosStack.lanes[fault.laneIndex])-retry"
        let slots = fault.laneSlots(consumerSlots: stack.slots.count)
        let partitions = try TopicDefinition.load(directory: "\(stack.paths.root)/topics", cluster: fault.cluster)
            .first { $0.name == topic }?.partitions ?? 1
        // A marker on every partition, which the consumers dead-letter, so that the group has a
        // committed offset on each. Then stop the lane's consumers once one partition has been
        // read to its end (a busy retry partition, the goods lane's spills, may take a while to
        // go quiet; any of them will do), checked again once they are stopped, since a consumer
        // may have parked a record meanwhile.
        let markers = (0..<Int32(partitions)).map {
            KafkaProducerMessage(topic: topic, partition: $0, key: Array("retention-marker".utf8), value: Array("not an event".utf8))
        }
        try await produceSurviving(markers, to: fault.cluster)
        poisoned.withLock { $0 += markers.count }
        let first = fault.target / 2 % partitions
        let order = (0..<partitions).map { KafkaTopicPartition(topic: topic, partition: Int32((first + $0) % partitions)) }
        // One reader of the group's offsets for the whole wait: on the mock, every short-lived
        // consumer of the lane's group id (what `offsets show` makes) was followed by a
        // rebalance of the lane, and polling with one a second kept the goods lane on A
        // rebalancing for 45 s (seed 22), so it never read a partition to its end.
        var readerConfiguration = KafkaConsumerConfiguration(bootstrapServers: stack.clusters[fault.cluster] ?? [],
                                                             groupID: TopicDrainer.group(cluster: fault.cluster, lane: lane(fault)))
        readerConfiguration.clientID = "chaos-overrun-reader"
        readerConfiguration.statisticsInterval = nil
        let reader = try KafkaConsumer(configuration: readerConfiguration, logger: logger)
        let admin = try KafkaAdmin(bootstrapServers: stack.clusters[fault.cluster] ?? [], clientID: "chaos-overrun", logger: logger)
        func state(_ partition: KafkaTopicPartition) async throws -> (committed: Int64?, logStart: Int64, logEnd: Int64) {
            let committed = try await reader.committed([partition], timeout: .seconds(5))[partition] ?? nil
            let (low, high) = try await admin.watermarks(partition)
            return (committed, low, high)
        }
        let deadline = ContinuousClock.now + .seconds(60)
        var stopped: Int64?
        var partition: Int32 = order[0].partition
        var last: [String] = []
        while stopped == nil {
            guard ContinuousClock.now < deadline else {
                await reader.close()
                throw ChaosError("the \(lane(fault)) lane on \(fault.cluster) did not read any partition of \(topic) to its end "
                                 + "within 60 s (\(last.joined(separator: ", ")))")
            }
            last = []
            for candidate in order {
                guard let seen = try? await state(candidate) else { continue }
                last.append("\(candidate.partition): committed \(seen.committed.map(String.init) ?? "none") of \(seen.logStart)..<\(seen.logEnd)")
                guard let committed = seen.committed, committed == seen.logEnd, seen.logEnd > seen.logStart else { continue }
                for slot in slots { await stack.signalConsumer(slot, SIGSTOP) }
                try await Task.sleep(for: .milliseconds(500))
                if let again = try? await state(candidate), again.committed == committed, again.logEnd == committed {
                    partition = candidate.partition
                    stopped = committed
                    break
                }
                for slot in slots { await stack.signalConsumer(slot, SIGCONT) }
            }
            if stopped == nil { try await Task.sleep(for: .seconds(1)) }
        }
        await reader.close()
        guard let committed = stopped else { return }
        // 100 KiB of random bytes a record (lz4 cannot shrink them) until the mock's 5 MiB cap
        // has dropped the batches holding the committed offset (read from the log's watermarks:
        // no group client while the lane is stopped).
        let stoppedPartition = KafkaTopicPartition(topic: topic, partition: partition)
        var written: Int64 = 0
        var logStart = try await admin.watermarks(stoppedPartition).low
        while logStart <= committed {
            guard written < 300 else { throw ChaosError("\(topic)/\(partition) on \(fault.cluster) kept its log start after 30 MiB") }
            let junk = (0..<10).map { _ in
                KafkaProducerMessage(topic: topic, partition: partition, key: Array("retention-junk".utf8),
                                     value: (0..<(100 << 10)).map { _ in UInt8.random(in: 0...255) })
            }
            try await produceSurviving(junk, to: fault.cluster)
            written += Int64(junk.count)
            logStart = try await admin.watermarks(stoppedPartition).low
        }
        overruns.withLock { $0[fault.startMilliseconds] = Overrun(topic: topic, partition: partition, committed: committed, written: written) }
    }

    /// The runbook: the lane halts on the out-of-range offset and says so; the operator stops the
    /// rest of it, points the group at the oldest record left, and starts it again. Idempotent: a
    /// second call finds nothing to recover.
    func recoverOverrun(_ fault: ChaosFault) async throws {
        let slots = fault.laneSlots(consumerSlots: stack.slots.count)
        guard let overrun = overruns.withLock({ $0.removeValue(forKey: fault.startMilliseconds) }) else {
            for slot in slots { await stack.signalConsumer(slot, SIGCONT) }
            return
        }
        let (topic, partition) = (overrun.topic, overrun.partition)
        let gone = try await read(fault, topic, partition)
        // Every record past the committed offset is the harness's: nothing the lane owed was deleted.
        guard gone.logEnd - overrun.committed == overrun.written, gone.position == .belowLogStart else {
            throw ChaosError("\(topic)/\(partition): log \(gone.logStart)..<\(gone.logEnd), committed \(overrun.committed), "
                             + "\(overrun.written) junk records written: something else was written, or nothing was dropped")
        }
        await stack.expectExits(slots)
        for slot in slots { await stack.signalConsumer(slot, SIGCONT) }
        guard await stack.awaitAnyExit(slots, within: .seconds(60)) else {
            throw ChaosError("no \(lane(fault)) consumer on \(fault.cluster) halted within 60 s of its offset leaving \(topic)/\(partition)")
        }
        let exits = await stack.lastExits
        guard let halt = slots.compactMap({ exits[$0] }).first,
              halt.status != 0, halt.errorOutput.contains("lane stopped"),
              halt.errorOutput.contains("AUTO_OFFSET_RESET") || halt.errorOutput.contains("outside the log")
        else {
            throw ChaosError("the \(lane(fault)) lane on \(fault.cluster) exited without saying its offset left the log: "
                             + slots.compactMap { exits[$0].map { "status \($0.status): \(ChaosStack.lastLines($0.errorOutput))" } }
                                .joined(separator: "; "))
        }
        await stack.stopConsumers(slots)
        // `--execute` refuses while the group has live members (a joining instance): tried for 30 s.
        let arguments = ["offsets", "reset", "--cluster", fault.cluster.rawValue, "--topic", topic, "--out-of-range", "--to-earliest",
                         "--execute", "--topics-directory", "\(stack.paths.root)/topics"]
        let resetBy = ContinuousClock.now + .seconds(30)
        while true {
            let result = try await stack.admin(arguments)
            if result.status == 0 { break }
            guard result.status == 2, ContinuousClock.now < resetBy else {
                throw ChaosError("offsets reset exited \(result.status): \(ChaosStack.lastLines(result.errorOutput + result.output))")
            }
            try await Task.sleep(for: .seconds(1))
        }
        let after = try await read(fault, topic, partition)
        guard after.position == .inRange, after.committed == gone.logStart else {
            throw ChaosError("after the reset \(topic)/\(partition) is \(after.position) at \(after.committed.map(String.init) ?? "none"), "
                             + "not at the log start \(gone.logStart)")
        }
        // The junk still in the log is read again and must end as dead letters.
        poisoned.withLock { $0 += Int(gone.logEnd - gone.logStart) }
        let said = halt.errorOutput.split(separator: "\n").last { $0.contains("lane stopped") }.map { line in
            let at = line.range(of: "outside the log")?.lowerBound ?? line.range(of: "AUTO_OFFSET_RESET")?.lowerBound ?? line.startIndex
            return String(line[(line.index(at, offsetBy: -60, limitedBy: line.startIndex) ?? line.startIndex)...].prefix(140))
        } ?? ""
        say("  retention-overrun on \(fault.cluster) \(topic)/\(partition): \(gone.gone) records gone below the log start; "
            + "the lane halted (\(said)); reset to \(gone.logStart), \(gone.logEnd - gone.logStart) junk records left to dead-letter")
        for slot in slots { try await stack.restartConsumer(slot) }
    }
}
