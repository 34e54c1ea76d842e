import Foundation
import Kafka
import Logging
@testable import RewardSDK
import RewardTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The spool's reader past damage, its quarantine and its writer on a failing disk: no clusters.
@Suite("Spool damage, quarantine and write failures")
struct SpoolDamageTests {
    let directory = NSTemporaryDirectory() + uniqueTestName("spool-damage")
    let logger = makeTestLogger("spool-damage")

    static func record(_ n: Int) -> SpoolRecord { SpoolTests.record(n) }

    /// A segment of `count` frames and where each frame starts.
    static func segment(_ count: Int) -> (bytes: [UInt8], starts: [Int]) {
        var bytes = SpoolFormat.header
        var starts: [Int] = []
        for n in 0..<count {
            starts.append(bytes.count)
            bytes += SpoolFormat.frame(record(n))
        }
        return (bytes, starts)
    }

    static func keys(_ scan: SpoolFormat.Scan) -> [Int] {
        scan.frames.compactMap { try? SpoolRecord.decode($0.payload) }.map { Int(String(decoding: $0.key.dropFirst(6), as: UTF8.self))! }
    }

    @Test("The reader resynchronises after a damaged frame: every other frame is read, the damage is reported")
    func resynchronises() {
        let (clean, starts) = Self.segment(200)
        // Every byte of frame 100 (length, CRC, payload), flipped one at a time.
        for offset in starts[100]..<starts[101] {
            var bytes = clean
            bytes[offset] ^= 0x5A
            let scan = SpoolFormat.scan(bytes)
            #expect(Self.keys(scan) == Array(0..<100) + Array(101..<200), "byte \(offset - starts[100]) of the frame")
            #expect(scan.damaged == [starts[100]..<starts[101]], "byte \(offset - starts[100]) of the frame")
            #expect(scan.tornBytes == 0)
        }
        // A run of zeros over three frames (a lost sector), and a bad header.
        var zeroed = clean
        for offset in starts[10] + 5..<starts[13] + 6 { zeroed[offset] = 0 }  // into frame 13's CRC
        zeroed[1] = 0
        let scan = SpoolFormat.scan(zeroed)
        #expect(Self.keys(scan) == Array(0..<10) + Array(14..<200))
        #expect(scan.damaged == [0..<8, starts[10]..<starts[14]])
        // A torn tail is not damage: nothing verifies after it.
        let torn = SpoolFormat.scan(clean + SpoolFormat.frame(Self.record(999)).dropLast(3))
        #expect(Self.keys(torn) == Array(0..<200) && !torn.isDamaged && torn.tornBytes > 0)
    }

    @Test("A frame whose CRC holds but whose record does not decode is damage; the next frame is read")
    func undecodableFrame() {
        var bytes = SpoolFormat.header
        SpoolFormat.appendFrame([9, 9, 9], to: &bytes)  // version 9: not a record this build reads
        let bad = bytes.count
        bytes += SpoolFormat.frame(Self.record(1))
        let scan = SpoolFormat.scan(bytes)
        #expect(Self.keys(scan) == [1])
        #expect(scan.damaged == [SpoolFormat.header.count..<bad])
    }

    @Test("A damaged segment counts its readable records, and once quarantined it is kept, renamed, with a note")
    func damagedSegmentIsKept() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var (bytes, starts) = Self.segment(50)
        bytes[starts[20] + 12] ^= 1
        let path = "\(directory)/\(SpoolFormat.segmentName(1))"
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let spool = try await Spool.open(directory: directory, segmentBytes: 1 << 20, logger: logger)
        #expect(spool.depth == 49)
        let loaded = try await spool.load(segment: 1)
        #expect(loaded.items.map(\.record) == (0..<50).filter { $0 != 20 }.map(Self.record))
        #expect(loaded.damaged == [starts[20]..<starts[21]])
        try await spool.checkpoint(segment: 1, offset: loaded.items[30].endOffset)  // past the damage
        spool.settled(49)
        let name = try await spool.quarantine(damaged: loaded)
        #expect(spool.quarantine == Spool.QuarantineCounts(refusedRecords: 0, damagedSegments: 1))
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(name)"))) == bytes, "kept byte for byte")
        await spool.close()

        let reopened = try await Spool.open(directory: directory, segmentBytes: 1 << 20, logger: logger)
        #expect(reopened.depth == 0, "a quarantined segment is not replayed again")
        #expect(reopened.quarantine.damagedSegments == 1)
        await reopened.close()
        let listed = try await SpoolInspection.list(directory: directory)
        #expect(listed.map(\.kind) == [.damaged])
        #expect(listed.first?.unreadable == ["\(starts[20])..<\(starts[21])"] && listed.first?.records == 49)
        #expect(listed.first?.sourceSegment == SpoolFormat.segmentName(1))
    }

    @Test("Refused records are quarantined byte for byte with their reasons, counted after a restart and listed")
    func refusedRecordsAreKept() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let spool = try await Spool.open(directory: directory, segmentBytes: 1 << 20, logger: logger)
        for n in 0..<5 { try await spool.append(Self.record(n)) }
        let refusals = [1, 3].map {
            Spool.Refusal(record: Self.record($0), cluster: "A",
                          error: KafkaError(code: .messageSizeTooLarge, message: "delivery to reward-goods: too large"))
        }
        try await spool.quarantine(refusals, from: 1)
        #expect(spool.quarantine.refusedRecords == 2)
        // A note whose file never made it (a crash between the two) is cleaned up on open.
        try Data("{}".utf8).write(to: URL(fileURLWithPath: "\(directory)/\(SpoolFormat.quarantineNoteName(77))"))
        await spool.close()

        let reopened = try await Spool.open(directory: directory, segmentBytes: 1 << 20, logger: logger)
        #expect(reopened.quarantine == Spool.QuarantineCounts(refusedRecords: 2, damagedSegments: 0))
        #expect(reopened.depth == 5)
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/\(SpoolFormat.quarantineNoteName(77))"))
        try await reopened.quarantine([refusals[0]], from: 1)  // numbered after what is there
        await reopened.close()

        let listed = try await SpoolInspection.list(directory: directory)
        #expect(listed.map(\.kind) == [.refused, .refused, .segment])
        #expect(listed.map(\.file) == [SpoolFormat.quarantineName(1), SpoolFormat.quarantineName(78), SpoolFormat.segmentName(1)])
        #expect(listed[0].records == 2 && listed[0].refusals.map(\.orderID) == ["order:1", "order:3"])
        #expect(listed[0].refusals.allSatisfy { $0.code == "MSG_SIZE_TOO_LARGE" && $0.cluster == "A" })
        #expect(listed[0].reason == "refused: A MSG_SIZE_TOO_LARGE x2")
        #expect(listed[2].records == 5 && listed[2].pending == 5)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(listed[0].file)")))
        #expect(SpoolFormat.scan(bytes).frames.compactMap { try? SpoolRecord.decode($0.payload) } == [Self.record(1), Self.record(3)])
    }

    @Test("A failed fdatasync fails every append of its batch and cuts their frames off; the next append starts a new segment")
    func failedSync() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let failSyncs = TestBox(false)
        var faults = SpoolFaults()
        faults.sync = { _ in failSyncs.withLock { $0 } ? EIO : nil }
        let spool = try await Spool.open(directory: directory, segmentBytes: 1 << 20, logger: logger, faults: faults)
        for n in 0..<10 { try await spool.append(Self.record(n)) }
        failSyncs.withLock { $0 = true }
        let failures = await withTaskGroup(of: Bool.self) { group in
            for n in 10..<30 { group.addTask { (try? await spool.append(Self.record(n))) == nil } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(failures == 20, "every append whose sync failed is refused")
        failSyncs.withLock { $0 = false }
        for n in 30..<35 { try await spool.append(Self.record(n)) }
        #expect(spool.depth == 15)
        await spool.close()

        let segments = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("segment-") }.sorted()
        #expect(segments.count == 2, "\(segments)")
        let reopened = try await Spool.open(directory: directory, segmentBytes: 1 << 20, logger: logger)
        #expect(reopened.depth == 15)
        var keys: [[UInt8]] = []
        while let sequence = await reopened.oldestSealedSegment(sealActive: false) {
            keys += try await reopened.load(segment: sequence).items.map(\.record.key)
            try await reopened.retire(segment: sequence)
        }
        #expect(keys == (Array(0..<10) + Array(30..<35)).map { Self.record($0).key })
        await reopened.close()
    }

    @Test("A write that runs out of space (ENOSPC after a short write) is refused and cut off; a new segment follows once space is back")
    func diskFullWrites() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let room = TestBox(Int.max)  // bytes that may still be written
        var faults = SpoolFaults()
        faults.write = { _, count in
            room.withLock { room in
                defer { room = max(0, room - count) }
                return room >= count ? nil : (room, ENOSPC)
            }
        }
        let spool = try await Spool.open(directory: directory, segmentBytes: 1 << 20, logger: logger, faults: faults)
        for n in 0..<10 { try await spool.append(Self.record(n)) }
        room.withLock { $0 = 150 }  // about one and a half frames
        var answered: [Int] = []
        for n in 10..<20 where (try? await spool.append(Self.record(n))) != nil { answered.append(n) }
        #expect(answered == [10], "only the frame that fit whole was answered")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("segment-") }
        #expect(files.count == 1, "a segment whose header could not be written is removed: \(files)")
        room.withLock { $0 = Int.max }
        try await spool.append(Self.record(20))
        #expect(spool.depth == 12)
        await spool.close()

        let reopened = try await Spool.open(directory: directory, segmentBytes: 1 << 20, logger: logger)
        var keys: [[UInt8]] = []
        var damaged = false
        while let sequence = await reopened.oldestSealedSegment(sealActive: false) {
            let loaded = try await reopened.load(segment: sequence)
            damaged = damaged || loaded.isDamaged || loaded.tornBytes > 0
            keys += loaded.items.map(\.record.key)
            try await reopened.retire(segment: sequence)
        }
        #expect(keys == (Array(0..<11) + [20]).map { Self.record($0).key }, "answered appends only, each once")
        #expect(!damaged, "the short write was cut off")
        await reopened.close()
    }
}
