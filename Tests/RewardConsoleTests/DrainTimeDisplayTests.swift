import RewardOps
import Testing

/// The ETA cell divides broker lag by a measured rate; huge quotients must display, not trap.
@Suite struct DrainTimeDisplayTests {
    @Test func anyQuotientDisplays() {
        #expect(Formatting.duration(seconds: 0) == "0s")
        #expect(Formatting.duration(seconds: 0.2) == "1s")
        #expect(Formatting.duration(seconds: 3_725) == "1h02m")
        #expect(Formatting.duration(seconds: 1e19) == "over a year")
        #expect(Formatting.duration(seconds: Double(Int64.max) / (1.0 / 30)) == "over a year")
        #expect(Formatting.duration(seconds: .infinity) == "-")
    }
}
