import RewardCore
@testable import RewardSettlement
import Testing

/// The slot arithmetic behind the rate limiter: no clock, no waiting.
@Suite("Slice schedule")
struct SliceScheduleTests {
    static let slice = WallClock.sliceNanoseconds

    @Test("Every slice gets its share, at most ⌈rate/10⌉, and a whole second sums to the rate exactly",
          arguments: [1.0, 7.0, 25.0, 100.0, 333.0, 2000.0, 12_345.0])
    func allowances(rate: Double) {
        let milli = SliceSchedule.milliRate(rate)
        let first: Int64 = 17_900_000_000  // an epoch slice of 2026
        var total = 0
        for s in first..<(first + 100) {
            let n = SliceSchedule.allowance(slice: s, milliRate: milli)
            #expect(n >= 0 && Double(n) <= (rate / 10).rounded(.up))
            total += n
        }
        #expect(total == Int(rate * 10), "ten seconds at \(rate)/s")
    }

    @Test("A late wake catches up inside its slice but never hands out the previous slice's permits")
    func catchUpStaysInsideTheSlice() throws {
        let milli = SliceSchedule.milliRate(1000)  // 100 per slice, one every millisecond
        let start = 17_900_000_000 * Self.slice
        // Woken 5 ms into a slice: permits from 5 ms back are still handed out...
        let inside = start + 30_000_000
        #expect(SliceSchedule.earliest(now: inside) == inside - SliceSchedule.catchUp)
        // ...but 5 ms into the next slice, nothing of the slice that ended: its permits are lost.
        let late = start + Self.slice + 5_000_000
        #expect(SliceSchedule.earliest(now: late) == start + Self.slice)
        var schedule = SliceSchedule()
        var handedOut = 0
        let now = late
        while let slot = schedule.peek(notBefore: SliceSchedule.earliest(now: now), milliRate: milli), slot.time <= now {
            schedule.take(slot)
            handedOut += 1
            #expect(slot.time >= start + Self.slice, "a slot of the previous slice was handed out")
        }
        #expect(handedOut == 6, "the new slice's first 5 ms, inclusive")
    }

    @Test("Permits inside a slice are spread evenly, never bunched at its start")
    func pacedInsideSlice() throws {
        var schedule = SliceSchedule()
        let milli = SliceSchedule.milliRate(50)  // 5 per slice: one every 20 ms
        let start = 17_900_000_000 * Self.slice
        var times: [Int64] = []
        var cursor = start
        for _ in 0..<15 {
            let slot = try #require(schedule.peek(notBefore: cursor, milliRate: milli))
            schedule.take(slot)
            times.append(slot.time)
            cursor = slot.time
        }
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        #expect(gaps.allSatisfy { $0 == 20_000_000 }, "\(gaps)")
        #expect(times.first == start)
    }

    @Test("A late caller gets the next slot after now, not the missed ones; a closed slice grants nothing more")
    func noSavingUp() throws {
        var schedule = SliceSchedule()
        let milli = SliceSchedule.milliRate(100)  // 10 per slice
        let start = 17_900_000_000 * Self.slice
        let late = start + 55_000_000
        let slot = try #require(schedule.peek(notBefore: late, milliRate: milli))
        #expect(slot.time == start + 60_000_000)
        schedule.take(slot)
        schedule.closeCurrentSlice(now: late)
        let next = try #require(schedule.peek(notBefore: late, milliRate: milli))
        #expect(next.time == start + Self.slice, "after a rate change the next permit comes from the next slice")
    }

    @Test("A zero rate grants nothing")
    func zeroRate() {
        #expect(SliceSchedule().peek(notBefore: 0, milliRate: 0) == nil)
        #expect(SliceSchedule.milliRate(-5) == 0)
        #expect(SliceSchedule.milliRate(.nan) == 0)
    }
}
