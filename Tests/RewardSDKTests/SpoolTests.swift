import Foundation
import Logging
@testable import RewardSDK
import RewardTestKit
import Testing

@Suite("Durable spool")
struct SpoolTests {
    let directory = NSTemporaryDirectory() + uniqueTestName("spool-unit")
    let logger = makeTestLogger("spool-unit")

    static func record(_ n: Int) -> SpoolRecord {
        SpoolRecord(topic: n % 2 == 0 ? "reward-cash" : "reward-goods", key: Array("order:\(n)".utf8),
                    value: Array(repeating: UInt8(n % 251), count: 40 + n % 60))
    }

    func open() async throws -> Spool {
        try await Spool.open(directory: directory, segmentBytes: 1 << 20, logger: logger)
    }

    func segmentPaths() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".log") }.sorted()
            .map { "\(directory)/\($0)" }
    }

    func appendConcurrently(_ spool: Spool, _ range: Range<Int>) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in range { group.addTask { try await spool.append(Self.record(n)) } }
            try await group.waitForAll()
        }
    }

    @Test("Concurrent appends share fsyncs (group commit) and are all there after a reopen")
    func groupCommitAndReopen() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let spool = try await open()
        try await appendConcurrently(spool, 0..<500)
        #expect(spool.depth == 500)
        #expect(spool.syncCount < 500, "\(spool.syncCount) syncs for 500 appends")
        #expect(spool.syncCount >= 1)
        await spool.close()

        let reopened = try await open()
        #expect(reopened.depth == 500)
        let sequence = try #require(await reopened.oldestSealedSegment(sealActive: false))
        let loaded = try await reopened.load(segment: sequence)
        #expect(Set(loaded.items.map(\.record.key)) == Set((0..<500).map { Self.record($0).key }))
        for item in loaded.items {
            let n = Int(String(decoding: item.record.key.dropFirst(6), as: UTF8.self))!
            #expect(item.record == Self.record(n))
        }
        await reopened.close()
    }

    @Test("A torn last record (cut short, or a bad CRC) is ignored; the records before it are kept")
    func tornTail() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for damage in ["short", "crc", "length"] {
            try? FileManager.default.removeItem(atPath: directory)
            let spool = try await open()
            for n in 0..<10 { try await spool.append(Self.record(n)) }
            await spool.close()
            let path = try #require(try segmentPaths().first)
            let handle = try #require(FileHandle(forWritingAtPath: path))
            handle.seekToEndOfFile()
            var frame: [UInt8] = []
            SpoolFormat.appendFrame(Self.record(99).encoded(), to: &frame)
            switch damage {
            case "short": frame = Array(frame.prefix(frame.count - 7))  // the crash came mid-payload
            case "crc": frame[frame.count - 1] ^= 0xFF  // a sector with half of the new bytes
            default: frame = [0xFF, 0xFF, 0xFF]  // not even a whole length field
            }
            handle.write(Data(frame))
            try handle.close()

            let reopened = try await open()
            #expect(reopened.depth == 10, "\(damage)")
            let loaded = try await reopened.load(segment: try #require(await reopened.oldestSealedSegment(sealActive: false)))
            #expect(loaded.items.map(\.record) == (0..<10).map(Self.record), "\(damage)")
            await reopened.close()
        }
    }

    @Test("Two live spools on one directory are refused (flock); after close it opens again")
    func directoryLock() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await open()
        do {
            _ = try await open()
            Issue.record("a second spool opened the locked directory")
        } catch let error as SpoolError {
            #expect(error.code == .locked)
        }
        await first.close()
        let second = try await open()
        await second.close()
    }

    @Test("Checkpoints survive a restart; a retired segment is gone for good")
    func checkpointAndRetire() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let spool = try await open()
        for n in 0..<50 { try await spool.append(Self.record(n)) }
        let sequence = try #require(await spool.oldestSealedSegment(sealActive: true))
        let loaded = try await spool.load(segment: sequence)
        #expect(loaded.items.count == 50)
        try await spool.checkpoint(segment: sequence, offset: loaded.items[19].endOffset)
        spool.settled(20)
        #expect(spool.depth == 30)
        try await spool.append(Self.record(50))  // goes to a new segment
        await spool.close()

        let reopened = try await open()
        #expect(reopened.depth == 31)
        let rest = try await reopened.load(segment: sequence)
        #expect(rest.items.map(\.record) == (20..<50).map(Self.record))
        try await reopened.retire(segment: sequence)
        await reopened.close()

        let third = try await open()
        #expect(third.depth == 1)
        #expect(try segmentPaths().count == 1)
        await third.close()
    }

    @Test("Frames and checkpoints round-trip; damaged checkpoints are refused")
    func formats() {
        var frame: [UInt8] = []
        SpoolFormat.appendFrame(Self.record(1).encoded(), to: &frame)
        #expect(SpoolFormat.frame(Self.record(1)) == frame, "built in place or from the payload: the same bytes")
        let scan = SpoolFormat.scan(SpoolFormat.header + frame)
        #expect(scan.frames.count == 1 && scan.tornBytes == 0 && !scan.isDamaged)
        let foreign = SpoolFormat.scan(Array("NOTASPOOL".utf8))
        #expect(foreign.frames.isEmpty && foreign.damaged == [0..<8], "a bad header is damage, never a clean empty segment")
        #expect(SpoolFormat.scan(Array(SpoolFormat.header.prefix(5))).headerIncomplete)
        #expect(SpoolFormat.decodeCheckpoint(SpoolFormat.encodeCheckpoint(123_456)) == 123_456)
        var damaged = SpoolFormat.encodeCheckpoint(123_456)
        damaged[3] ^= 1
        #expect(SpoolFormat.decodeCheckpoint(damaged) == nil)
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)  // the standard check value
        // Slicing-by-8 agrees with the bytewise definition at every length and split point.
        let data = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }
        for length in [0, 1, 7, 8, 9, 63, 64, 65, 299] {
            var bitwise: UInt32 = 0xFFFF_FFFF
            for byte in data.prefix(length) {
                bitwise ^= UInt32(byte)
                for _ in 0..<8 { bitwise = bitwise & 1 == 1 ? 0xEDB8_8320 ^ (bitwise >> 1) : bitwise >> 1 }
            }
            #expect(CRC32.checksum(data.prefix(length)) == ~bitwise, "length \(length)")
            let split = length / 3
            #expect(CRC32.checksum(data[split..<length], continuing: CRC32.checksum(data.prefix(split))) == ~bitwise)
        }
        #expect(SpoolFormat.segmentName(7) == "segment-00000000000000000007.log")
        #expect(SpoolFormat.sequence(ofSegment: "segment-00000000000000000007.log") == 7)
    }
}
