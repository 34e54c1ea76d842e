import RewardCore

/// Where the permits of a rate fall in time: 100 ms slices aligned to wall-clock time
/// (slice = epoch ms / 100), each with its share of the rate, paced evenly inside the slice.
///
/// Slice `s` gets `F(s + 1) − F(s)` permits, `F(s) = ⌊s · rate / 10⌋` in exact integer
/// arithmetic (the rate in milli-permits per second), so fractional rates spread exactly
/// (1/s is one permit in every tenth slice) and no slice ever gets more than ⌈rate / 10⌉.
/// Permit `k` of `n` in a slice falls at `start + k · 100 ms / n`: a downstream never sees a burst
/// at the start of a slice or of a second. Permits nobody takes are lost, never saved up.
struct SliceSchedule: Sendable {
    /// The slice the cursor is in, its permit count, and the next permit index in it.
    private(set) var slice: Int64 = .min
    private(set) var allowance = 0
    private(set) var index = 0

    /// How far back a permit may still be handed out when the pump wakes late: on a busy machine
    /// sleeps overshoot by milliseconds, and without catching up the limiter would fall well below
    /// its rate. Older slots are lost.
    static let catchUp: Int64 = 20_000_000

    /// The earliest slot a caller may take at `now`: at most ``catchUp`` back, and never in an
    /// earlier slice. A permit of slice `s` handed out in slice `s + 1` would reach the downstream
    /// beside all of `s + 1`'s own permits (seen: 218 requests in one slice against 200 allowed).
    static func earliest(now: Int64) -> Int64 {
        max(now - catchUp, now - now % WallClock.sliceNanoseconds)
    }

    /// Rates are kept in milli-permits per second; below 0.001/s nothing is granted.
    static func milliRate(_ rate: Double) -> Int64 {
        guard rate.isFinite, rate > 0 else { return 0 }
        return Int64(min(rate, 1e9) * 1000)
    }

    /// Permits in slice `s` at `milliRate`.
    static func allowance(slice s: Int64, milliRate: Int64) -> Int {
        Int(cumulative(s + 1, milliRate) - cumulative(s, milliRate))
    }

    /// ⌊s · milliRate / 10 000⌋ without overflow for epoch slices (~1.8e10) and rates up to 1e9/s.
    private static func cumulative(_ s: Int64, _ milliRate: Int64) -> Int64 {
        let (q, r) = s.quotientAndRemainder(dividingBy: 10_000)
        return q * milliRate + (r * milliRate) / 10_000
    }

    /// The time of the next permit at or after `notBefore`, or `nil` when the rate grants nothing
    /// within `horizon` slices. Does not move the cursor.
    func peek(notBefore: Int64, milliRate: Int64, horizon: Int64 = 100_000) -> (slice: Int64, index: Int, allowance: Int, time: Int64)? {
        guard milliRate > 0 else { return nil }
        let sliceLength = WallClock.sliceNanoseconds
        var s = notBefore / sliceLength
        var n: Int
        var k: Int
        if s < slice {  // never go back before the cursor
            s = slice
        }
        if s == slice {
            n = allowance
            k = index
            let offset = notBefore - s * sliceLength
            if offset > 0, n > 0 {
                k = max(k, Int((offset * Int64(n) + sliceLength - 1) / sliceLength))
            }
        } else {
            n = Self.allowance(slice: s, milliRate: milliRate)
            let offset = max(0, notBefore - s * sliceLength)
            k = n > 0 ? Int((offset * Int64(n) + sliceLength - 1) / sliceLength) : 0
        }
        var steps: Int64 = 0
        while k >= n {
            steps += 1
            guard steps <= horizon else { return nil }
            s += 1
            n = Self.allowance(slice: s, milliRate: milliRate)
            k = 0
        }
        return (s, k, n, s * sliceLength + Int64(k) * sliceLength / Int64(n))
    }

    /// Takes the permit `peek` returned.
    mutating func take(_ slot: (slice: Int64, index: Int, allowance: Int, time: Int64)) {
        slice = slot.slice
        allowance = slot.allowance
        index = slot.index + 1
    }

    /// Gives up the rest of the current slice: after a rate change the next permit comes from the
    /// next slice, so the old and the new rate never add up inside one slice.
    mutating func closeCurrentSlice(now: Int64) {
        let current = now / WallClock.sliceNanoseconds
        if slice <= current {
            slice = current
            allowance = 0
            index = 0
        }
    }
}
