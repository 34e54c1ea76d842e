import Foundation
@testable import RewardOps
import Testing

/// The counts `reward-admin offsets` shows, from the cluster's numbers and the operator's: no
/// input traps, and each case halts or not as a lane consumer would.
@Suite("offsets arithmetic")
struct OffsetsArithmeticTests {
    static func offsets(_ committed: Int64?, _ start: Int64, _ end: Int64) throws -> GroupPartitionOffsets {
        try GroupPartitionOffsets(partition: 3, committed: committed, logStart: start, logEnd: end)
    }

    @Test("position, lag and gone for every place a committed offset can be")
    func positions() throws {
        let never = try Self.offsets(nil, 100, 500)
        #expect(never.position == .neverCommitted && !never.isOutOfRange && never.lag == 400 && never.gone == 0)
        let below = try Self.offsets(40, 100, 500)
        #expect(below.position == .belowLogStart && below.isOutOfRange && below.gone == 60 && below.lag == 400)
        let atStart = try Self.offsets(100, 100, 500)
        #expect(atStart.position == .inRange && atStart.gone == 0 && atStart.lag == 400)
        let atEnd = try Self.offsets(500, 100, 500)
        #expect(atEnd.position == .inRange && atEnd.lag == 0)
        let above = try Self.offsets(900, 100, 500)
        #expect(above.position == .aboveLogEnd && above.isOutOfRange && above.gone == 0 && above.lag == 400)
        let empty = try Self.offsets(0, 0, 0)
        #expect(empty.position == .inRange && empty.lag == 0)
    }

    @Test("moves count skipped, re-read and gone records; an offset outside the log is refused, not trapped on")
    func moves() throws {
        let below = try Self.offsets(40, 100, 500)
        let earliest = try OffsetMove(current: below, newOffset: 100)
        #expect(earliest.skipped == 0 && earliest.reread == 0 && earliest.changes)
        let latest = try OffsetMove(current: below, newOffset: 500)
        #expect(latest.skipped == 400 && latest.reread == 0)
        let inRange = try Self.offsets(300, 100, 500)
        let back = try OffsetMove(current: inRange, newOffset: 150)
        #expect(back.reread == 150 && back.skipped == 0)
        let same = try OffsetMove(current: inRange, newOffset: 300)
        #expect(!same.changes)
        for offset in [Int64.min, -1, 0, 99, 501, Int64.max] {
            #expect(throws: OffsetsError.self) { try OffsetMove(current: inRange, newOffset: offset) }
        }
    }

    @Test("extreme numbers from the cluster: no overflow, impossible watermarks refused")
    func extremes() throws {
        let huge = try Self.offsets(0, 0, .max)
        #expect(huge.lag == .max)
        let move = try OffsetMove(current: huge, newOffset: .max)
        #expect(move.skipped == .max)
        #expect(Int64.max.saturatingAdd(.max) == .max)
        let farBelow = try Self.offsets(0, .max, .max)
        #expect(farBelow.gone == .max)
        #expect(try Self.offsets(-5, 10, 20).committed == nil, "a negative committed offset is no offset")
        #expect(throws: OffsetsError.self) { try Self.offsets(nil, 10, 5) }
        #expect(throws: OffsetsError.self) { try Self.offsets(nil, -1, 5) }
    }

    @Test("times become Kafka's milliseconds only from 1970 on (-1 and -2 mean latest and earliest to Kafka)")
    func times() throws {
        #expect(try OffsetResetTarget.milliseconds(Date(timeIntervalSince1970: 1_795_000_000)) == 1_795_000_000_000)
        #expect(try OffsetResetTarget.milliseconds(Date(timeIntervalSince1970: 0)) == 0)
        #expect(throws: OffsetsError.self) { try OffsetResetTarget.milliseconds(Date(timeIntervalSince1970: -0.001)) }
        #expect(throws: OffsetsError.self) { try OffsetResetTarget.milliseconds(Date.distantFuture.addingTimeInterval(1e15)) }
    }
}
