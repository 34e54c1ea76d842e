import Logging
import MetricsTestKit
import RewardConsumer
import RewardSettlement
import Testing

/// The limiter's rates from two sources (issue 14): an operator's `rate:` control wins over the
/// rate-limits file while set, a file edit never undoes it, and a reset falls back to the file.
@Suite("Live rates: the file and the operators' controls")
struct LiveRatesTests {
    @Test("an override wins over the file, survives a file edit, and a reset returns to the file's rate; shared buckets too")
    func overridesAndFile() throws {
        let logger = Logger(label: "live-rates") { _ in SwiftLogNoOpLogHandler() }
        let file = RateLimitConfiguration(rates: ["prize_partner": 100],
                                          sharedDownstreams: ["partner-prizes": .init(rate: 80, types: ["prize_partner"])])
        let limiter = try RewardRateLimiter(configuration: file, logger: logger, metrics: TestMetrics())
        let rates = LiveRates(limiter: limiter, file: file, logger: logger)

        rates.controlsChanged(["prize_partner": 40, "shared:partner-prizes": 30])
        #expect(limiter.effectiveRate(rewardType: "prize_partner") == 40)
        #expect(limiter.effectiveRate(sharedDownstream: "partner-prizes") == 30)

        var edited = file
        edited.rates["prize_partner"] = 250
        edited.rates["coin_lucky"] = 1000
        rates.fileChanged(edited)
        #expect(limiter.effectiveRate(rewardType: "prize_partner") == 40, "the operator's rate stays")
        #expect(limiter.effectiveRate(rewardType: "coin_lucky") == 1000, "the file's other edits apply")

        rates.controlsChanged([:])
        #expect(limiter.effectiveRate(rewardType: "prize_partner") == 250, "reset: the file's rate")
        #expect(limiter.effectiveRate(sharedDownstream: "partner-prizes") == 80)

        rates.controlsChanged(["cash_red_envelope": 5, "shared:nowhere": 9])
        #expect(limiter.effectiveRate(rewardType: "cash_red_envelope") == 5, "an unlimited type gets a limit")
        rates.controlsChanged([:])
        #expect(limiter.effectiveRate(rewardType: "cash_red_envelope") == nil, "and loses it on reset")
    }
}
