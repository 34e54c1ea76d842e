import Foundation
import Kafka
import MetricsTestKit
import RewardCore
@testable import RewardSDK
import RewardTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension SDKIntegrationTests {
    @Suite("Spool replay: refusals, partial batches, damage and a full disk")
    struct SpoolReplayTests {
        /// A's share only (B standby and down), so the test knows where replayed records land.
        static func configuration(_ bed: SDKTestBed) throws -> RewardClientConfiguration {
            try bed.b.cluster.setAllBrokersDown()
            var configuration = bed.configuration()
            configuration.clusters[1].weight = 0
            configuration.delivery.replayRetryInterval = .milliseconds(200)
            return configuration
        }

        /// Stored copies per order id on one cluster.
        static func copies(_ bed: SDKTestBed, _ name: ClusterName) async throws -> [String: Int] {
            try await bed.messages(name).reduce(into: [:]) { counts, message in
                counts[String(decoding: message.key ?? [], as: UTF8.self), default: 0] += 1
            }
        }

        @Test("Records one cluster refuses for good go to the other; only what every cluster refuses is quarantined; nothing loops")
        func permanentRefusal() async throws {
            let bed = try SDKTestBed(name: "refused")
            let count = 400
            var records = try (0..<count).map { try bed.spoolRecord(SampleGrant($0, prefix: "refused")) }
            // Larger than both producers' message.max.bytes below: refused by each before it leaves.
            let oversized = [37, 150, 151, 399]
            for n in oversized { records[n].value += [UInt8](repeating: 0x20, count: 40_000) }
            try bed.writeSegment(records)

            // A takes the traffic; B is up but standby (weight 0), so the test knows who took what.
            var configuration = bed.configuration()
            configuration.clusters[1].weight = 0
            configuration.delivery.replayRetryInterval = .milliseconds(200)
            configuration.delivery.producerProperties["message.max.bytes"] = "20000"
            // And A refuses its first two produce requests for the whole topic.
            bed.a.cluster.pushRequestErrors(.produce, [.topicAuthorizationFailed, .topicAuthorizationFailed])
            let metrics = TestMetrics()
            let client = try await bed.makeClient(configuration, metrics: metrics)
            try await eventually(.seconds(40), interval: .milliseconds(100), "the spool replayed or quarantined") {
                client.spoolDepth == 0
            }
            await client.shutdown()

            let quarantined = try bed.quarantinedRecords()
            let quarantinedOrders = Set(quarantined.map(\.orderID))
            #expect(quarantined.count == quarantinedOrders.count, "each refused record is quarantined once")
            #expect(quarantinedOrders == Set(oversized.map { records[$0].orderID }), "only what both clusters refused")
            for record in quarantined {
                let original = try #require(records.first { $0.orderID == record.orderID })
                #expect(record == original, "quarantined byte for byte")
            }
            let note = try bed.quarantineNotes().flatMap(\.refusals)
            #expect(note.allSatisfy { $0.cluster == "A,B" }, "the note names every cluster that refused: \(note.map(\.cluster))")

            let onA = try await Self.copies(bed, .a)
            let onB = try await Self.copies(bed, .b)
            #expect(!onB.isEmpty, "the records A refused went to B")
            #expect(Set(onA.keys).isDisjoint(with: onB.keys), "a record A acknowledged went to B too")
            let delivered = Set(onA.keys).union(onB.keys)
            #expect(delivered.isDisjoint(with: quarantinedOrders), "a quarantined record was also delivered")
            #expect(delivered.union(quarantinedOrders) == Set(records.map(\.orderID)), "every record delivered or quarantined")
            let resent = onA.merging(onB, uniquingKeysWith: +).filter { $0.value > 1 }
            #expect(resent.isEmpty, "\(resent.count) acknowledged records sent again")
            #expect(try bed.spoolSegments().isEmpty, "the replayed segment is deleted")
            let gauge = try metrics.expectGauge("reward_sdk_spool_quarantined", [("kind", "refused")])
            #expect(gauge.lastValue == Double(quarantinedOrders.count))
        }

        @Test("Refused by the one cluster in rotation while the other is down: moved behind newer records, which are not held up; none quarantined")
        func refusedWhileTheOtherIsDown() async throws {
            let bed = try SDKTestBed(name: "refused-down")
            // Segment 1: cash grants (reward-cash), which A refuses; segment 2: coupons (reward-goods).
            let first = try stride(from: 0, to: 100, by: 2).map { try bed.spoolRecord(SampleGrant($0, prefix: "held")) }
            let second = try stride(from: 1, to: 100, by: 2).map { try bed.spoolRecord(SampleGrant($0, prefix: "held")) }
            try bed.writeSegment(first, sequence: 1)
            try bed.writeSegment(second, sequence: 2)
            var configuration = try Self.configuration(bed)  // B down
            configuration.delivery.replayAcknowledgementTimeout = .milliseconds(500)
            bed.a.cluster.pushRequestErrors(.produce, [.topicAuthorizationFailed])
            let client = try await bed.makeClient(configuration)
            let secondOrders = Set(second.map(\.orderID))
            try await eventually(.seconds(40), interval: .milliseconds(200), "segment 2 replayed to A while B is down") {
                secondOrders.isSubset(of: try await Self.copies(bed, .a).keys)
            }
            try bed.b.cluster.setAllBrokersUp()
            try await eventually(.seconds(60), interval: .milliseconds(200), "the spool replayed") { client.spoolDepth == 0 }
            await client.shutdown()

            #expect(try bed.quarantineFiles().isEmpty, "nothing quarantined: B never refused")
            let copies = try await Self.copies(bed, .a).merging(try await Self.copies(bed, .b), uniquingKeysWith: +)
            #expect(Set(copies.keys) == Set((first + second).map(\.orderID)), "every record delivered")
            // A's refusals were also sent to B while it was down; those attempts stay queued in its
            // producer and may land when it returns, beside the requeued copy (absorbed by order id).
            // What A acknowledged is never sent again.
            let twice = Set(copies.filter { $0.value > 1 }.keys)
            #expect(twice.isDisjoint(with: secondOrders), "\(twice.intersection(secondOrders).count) acknowledged records sent again")
        }

        @Test("A batch that partly failed resends only what was not acknowledged")
        func partialBatch() async throws {
            let bed = try SDKTestBed(name: "partial")
            let count = 600
            try bed.writeSegment(try (0..<count).map { try bed.spoolRecord(SampleGrant($0, prefix: "partial")) })
            // Broker 1 leads half the partitions and answers after the replay's acknowledgement deadline.
            for topic in SDKTestBed.topics {
                for partition in 0..<Int32(SDKTestBed.partitions) {
                    try bed.a.cluster.setPartitionLeader(topic: topic, partition: partition, broker: partition < 6 ? 1 : 2)
                }
            }
            try bed.a.cluster.setRoundTripTime(1, .milliseconds(2_500))
            var configuration = try Self.configuration(bed)
            configuration.delivery.replayAcknowledgementTimeout = .seconds(1)
            let client = try await bed.makeClient(configuration)
            try await Task.sleep(for: .seconds(6))  // several attempts time out on broker 1
            #expect(client.spoolDepth > 0)
            try bed.a.cluster.setRoundTripTime(1, .zero)
            try await eventually(.seconds(40), interval: .milliseconds(100), "the spool replayed") { client.spoolDepth == 0 }
            await client.shutdown()

            var copies: [String: Int] = [:]
            var fast: Set<String> = []
            for message in try await bed.messages(.a) {
                let order = String(decoding: message.key ?? [], as: UTF8.self)
                copies[order, default: 0] += 1
                if message.partition >= 6 { fast.insert(order) }
            }
            #expect(copies.count == count, "every record delivered")
            #expect(fast.count > count / 4, "\(fast.count) records on the fast broker")
            let resent = fast.filter { copies[$0] != 1 }
            #expect(resent.isEmpty, "\(resent.count) of \(fast.count) acknowledged records sent again, e.g. \(resent.sorted().prefix(3))")
        }

        @Test("A flipped byte in the middle of a segment: every frame after it is replayed and the segment is kept",
              arguments: ["payload", "length"])
        func damagedSegment(damage: String) async throws {
            let bed = try SDKTestBed(name: "damaged-\(damage)")
            let count = 1_000
            let records = try (0..<count).map { try bed.spoolRecord(SampleGrant($0, prefix: "damaged")) }
            let (path, starts) = try bed.writeSegment(records)
            let damaged = 500
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            // In the payload the CRC fails; in the length field the frame's end is lost too.
            bytes[damage == "payload" ? starts[damaged] + 30 : starts[damaged] + 1] ^= 0x40
            try Data(bytes).write(to: URL(fileURLWithPath: path))

            let client = try await bed.makeClient(try Self.configuration(bed))
            #expect(client.spoolDepth == count - 1, "the records before and after the damaged one count")
            try await eventually(.seconds(40), interval: .milliseconds(100), "the spool replayed") { client.spoolDepth == 0 }
            try await eventually(.seconds(10), interval: .milliseconds(100), "the damaged segment moved") {
                try bed.spoolSegments().isEmpty
            }
            await client.shutdown()

            let delivered = Set(try await Self.copies(bed, .a).keys)
            let expected = Set(records.map(\.orderID)).subtracting([records[damaged].orderID])
            let lost = expected.subtracting(delivered)
            #expect(lost.isEmpty, "\(lost.count) readable records lost, e.g. \(lost.sorted().prefix(3))")
            #expect(!delivered.contains(records[damaged].orderID))
            let kept = try bed.quarantineFiles()
            #expect(kept.count == 1, "the damaged segment is kept in the quarantine: \(kept)")
            if let kept = kept.first {
                let keptBytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(bed.spoolDirectory)/\(kept)")))
                #expect(keptBytes == bytes, "kept as it was")
            }
        }

        @Test("With the spool's disk full: only durable grants are answered, and every answered one reaches a cluster")
        func diskFull() async throws {
            let bed = try SDKTestBed(name: "disk-full")
            let disk = SimulatedDisk(directory: bed.spoolDirectory, capacity: 160 << 10)
            var configuration = try Self.configuration(bed)
            configuration.spool.segmentBytes = 32 << 10
            configuration.spool.faults = disk.faults
            let metrics = TestMetrics()
            let client = try await bed.makeClient(configuration, metrics: metrics)
            try bed.a.cluster.setAllBrokersDown()

            // The spool's own backlog fills the disk: the grants that no longer fit are refused.
            var outcome = try await Self.grant(client, 1_500, prefix: "full")
            #expect(outcome.answered.count > 300 && outcome.refused.count > 300,
                    "\(outcome.answered.count) answered, \(outcome.refused.count) not durable")
            #expect(metrics.grants("spooled") == Int64(outcome.answered.count))
            #expect(metrics.grants("rejected:not_durable") == Int64(outcome.refused.count))
            // What the spool holds is exactly what it answered: nothing refused is left to be replayed.
            #expect(try bed.spooledOrderIDs() == outcome.answered)

            // A cluster returns: replay must free the disk it needs for its own checkpoints. (The window
            // only bounds a stall: A's producer can take up to its 30 s message timeout to recover from
            // the attempts queued while A was down.)
            try bed.a.cluster.setAllBrokersUp()
            try await eventually(.seconds(90), interval: .milliseconds(100), "the full spool replayed") { client.spoolDepth == 0 }

            // Something else fills the disk while no cluster answers; then space comes back.
            try bed.a.cluster.setAllBrokersDown()
            disk.full = true
            let refusedWhileFull = try await Self.grant(client, 100, prefix: "blocked")
            #expect(refusedWhileFull.answered.isEmpty, "\(refusedWhileFull.answered.count) answered with no cluster and no disk")
            disk.full = false
            let afterwards = try await Self.grant(client, 300, prefix: "after")
            #expect(afterwards.refused.isEmpty, "\(afterwards.refused.count) refused after space came back")
            #expect(try bed.spooledOrderIDs() == afterwards.answered)
            outcome.answered.formUnion(afterwards.answered)

            try bed.a.cluster.setAllBrokersUp()
            try await eventually(.seconds(90), interval: .milliseconds(100), "the spool replayed again") { client.spoolDepth == 0 }
            await client.shutdown()

            let delivered = Set(try await Self.copies(bed, .a).keys)
            let lost = outcome.answered.subtracting(delivered)
            #expect(lost.isEmpty, "\(lost.count) answered grants never reached a cluster, e.g. \(lost.sorted().prefix(3))")
            // (A refused grant may still reach A: its live attempt stays queued in the producer and
            // is delivered when A returns. That is the live path's late acknowledgement, not the spool.)
        }

        /// `count` grants from 40 tasks: the order ids answered with a token and those refused as not durable.
        static func grant(_ client: RewardClient, _ count: Int, prefix: String) async throws
            -> (answered: Set<String>, refused: Set<String>)
        {
            try await withThrowingTaskGroup(of: [(String, Bool)].self) { group in
                for task in 0..<40 {
                    group.addTask {
                        var results: [(String, Bool)] = []
                        for n in stride(from: task, to: count, by: 40) {
                            let grant = SampleGrant(n, prefix: prefix)
                            do {
                                _ = try await grant.send(client)
                                results.append((grant.orderID.rawValue, true))
                            } catch let error as RewardError where error.code == .notDurable {
                                results.append((grant.orderID.rawValue, false))
                            }
                        }
                        return results
                    }
                }
                var answered: Set<String> = []
                var refused: Set<String> = []
                for try await results in group {
                    for (order, ok) in results { if ok { answered.insert(order) } else { refused.insert(order) } }
                }
                return (answered, refused)
            }
        }
    }
}

/// A small disk under the spool directory, block-granular like tmpfs: writes fail with ENOSPC
/// (after a short write) once the directory's files fill it, or whenever ``full`` is set.
final class SimulatedDisk: Sendable {
    static let block = 4096
    let directory: String
    let capacity: Int
    private let forcedFull = TestBox(false)

    init(directory: String, capacity: Int) {
        self.directory = directory
        self.capacity = capacity
    }

    /// Something else filled the disk (while set, no write gets a byte).
    var full: Bool {
        get { forcedFull.withLock { $0 } }
        set { forcedFull.withLock { $0 = newValue } }
    }

    var faults: SpoolFaults {
        var faults = SpoolFaults()
        faults.write = { [self] path, count in allowance(path: path, count: count) }
        return faults
    }

    private func allowance(path: String, count: Int) -> (allowed: Int, errno: Int32)? {
        if full { return (0, ENOSPC) }
        func blocks(_ bytes: Int) -> Int { (bytes + Self.block - 1) / Self.block }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var used = 0
        var size = 0
        for name in files {
            let bytes = ((try? FileManager.default.attributesOfItem(atPath: "\(directory)/\(name)"))?[.size] as? Int) ?? 0
            used += blocks(bytes) * Self.block
            if "\(directory)/\(name)" == path { size = bytes }
        }
        let free = max(0, capacity - used) / Self.block * Self.block
        let room = blocks(size) * Self.block - size + free
        return room >= count ? nil : (room, ENOSPC)
    }
}
