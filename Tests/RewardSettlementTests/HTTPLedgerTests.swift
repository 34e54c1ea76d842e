import DownstreamSimulator
import Foundation
import MariaDB
import MetricsTestKit
import RewardCore
@testable import RewardSettlement
import RewardTestKit
import Testing

@Suite("HTTP ledger against the downstream simulator")
struct HTTPLedgerTests {
    static func ledger(port: Int, metrics: TestMetrics = TestMetrics(), _ configure: (inout HTTPLedger.Configuration) -> Void = { _ in })
        -> HTTPLedger
    {
        var configuration = HTTPLedger.Configuration(baseURL: "http://127.0.0.1:\(port)")
        configuration.maxConcurrentRequests = 16
        configure(&configuration)
        return HTTPLedger(name: "partner-prizes", configuration: configuration, logger: makeTestLogger("http-ledger"), metrics: metrics)
    }

    static func credit(_ order: String, amount: Int64 = 1) -> LedgerCredit {
        LedgerCredit(orderID: OrderID(order), userID: "u1", activityID: "fest", rewardType: "prize_partner", amount: amount,
                     unit: "item", grantedAt: Date())
    }

    @Test("Exactly once by order id through timeouts, retries and 429s")
    func exactlyOnceUnderRetries() async throws {
        // 16 requests in flight against 4 per slice: the first burst meets 429s however slow the machine.
        try await withSimulator(knobs: SimulatorKnobs(capacityPerSlice: 4, latencyMilliseconds: 300)) { simulator, port in
            try await SettlementFixture.with("httpexactly") { fixture async throws in
                let ledger = Self.ledger(port: port) { $0.requestTimeout = .milliseconds(150) }
                let engine = fixture.engine(extra: [ledger])
                let events = (0..<300).map {
                    makeEvent(order: "h-\($0)", user: "u\($0 % 30)", type: "prize_partner", amount: 1, lane: .goods)
                }
                var requests = events.map { SettlementRequest(testEvent: $0, source: consumerSource()) }
                requests += events.prefix(30).map { SettlementRequest(testEvent: $0, source: .withdrawal(requestID: "w")) }

                // First round: the downstream is slow, the ledger times out, yet the downstream credits.
                var pending = requests
                var settled = 0
                var rounds = 0
                // Bounded by time, not by rounds: an open breaker (5 s cool-down) answers a round at
                // once, and a busy machine can need several cool-downs before the backlog clears.
                let deadline = ContinuousClock.now + .seconds(300)
                while !pending.isEmpty && ContinuousClock.now < deadline {
                    rounds += 1
                    let outcomes = await engine.settle(pending)
                    #expect(!outcomes.contains { $0.permanentCode != nil || $0.isConflict }, "\(tally(outcomes))")
                    settled += outcomes.filter { $0.isSettled }.count
                    pending = zip(pending, outcomes).filter { !$0.1.isSettled }.map(\.0)
                    if rounds == 1 { simulator.update(SimulatorControl(latencyMs: 0)) }
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(pending.count == 0, "still unsettled after \(rounds) rounds")
                #expect(settled == requests.count)

                let stats = simulator.stats
                #expect(stats.accepted == 300, "each order id credited once downstream")
                #expect(stats.distinctOrderIds == 300)
                #expect(stats.duplicates > 0, "timed-out credits were retried and answered 409")
                #expect(stats.rejected429 > 0, "the ledger pushed past the capacity at first")
                #expect(stats.maxPerSlice <= 4)
                #expect(try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE state = 'credited'") == 300)
                // A 409 carries the first credit's reference, so every claim holds the downstream's own id.
                #expect(try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE ledger_reference LIKE 'sim-%'") == 300)
                try await ledger.shutdown()
            }
        }
    }

    @Test("Answers are classified: 2xx credited, 409 already credited, 5xx retriable, other 4xx permanent")
    func classification() async throws {
        try await withSimulator(knobs: SimulatorKnobs(capacityPerSlice: 1000)) { simulator, port in
            let ledger = Self.ledger(port: port)
            let first = await ledger.credit([Self.credit("k-1")])
            guard case .credited(let reference) = first[0] else {
                Issue.record("expected credited, got \(first[0])")
                try await ledger.shutdown()
                return
            }
            #expect(await ledger.credit([Self.credit("k-1")]) == [.alreadyCredited(reference: reference)])
            #expect(await ledger.credit([Self.credit("k-1", amount: 2)]) == [.permanent(
                code: "http_422", message: "the downstream refused the credit (HTTP 422)")])
            simulator.update(SimulatorControl(errorRate: 1))
            #expect(await ledger.credit([Self.credit("k-2")]) == [.retriable("HTTP 500")])
            #expect(simulator.stats.accepted == 1)
            try await ledger.shutdown()
        }
    }

    @Test("429s are published as overload signals")
    func overloadSignals() async throws {
        try await withSimulator(knobs: SimulatorKnobs(capacityPerSlice: 1)) { _, port in
            let ledger = Self.ledger(port: port)
            let results = await ledger.credit((0..<20).map { Self.credit("o-\($0)") })
            #expect(results.contains(.retriable("429 too many requests")))
            let signal = try await withDeadline(.seconds(2), "overload signal") { () -> OverloadSignal? in
                for await signal in ledger.overloadSignals { return signal }
                return nil
            }
            #expect(signal?.status == 429)
            #expect(signal?.rewardType == "prize_partner")
            #expect(signal?.ledgerID == "http:partner-prizes")
            try await ledger.shutdown()
        }
    }

    @Test("Paced by the rate limiter, the downstream never answers 429 and never sees more than its slice capacity")
    func pacedByLimiter() async throws {
        try await withSimulator(knobs: SimulatorKnobs(capacityPerSlice: 5)) { simulator, port in
            let limiter = try RewardRateLimiter(
                // 2 per slice against a capacity of 5: requests that reach the downstream late (a busy
                // machine can delay one past its slice) only overflow if three slices' worth land at once.
                configuration: RateLimitConfiguration(rates: ["prize_partner": 20]), logger: makeTestLogger("limiter"),
                metrics: TestMetrics())
            let ledger = Self.ledger(port: port) { $0.rateLimiter = limiter }
            let started = ContinuousClock.now
            let results = await ledger.credit((0..<30).map { Self.credit("p-\($0)") })
            let elapsed = ContinuousClock.now - started
            #expect(results.allSatisfy { if case .credited = $0 { true } else { false } }, "\(Set(results))")
            let stats = simulator.stats
            #expect(stats.rejected429 == 0)
            #expect(stats.maxPerSlice <= 5)
            #expect(elapsed >= .milliseconds(1300), "30 permits at 20/s take about 1.5 s, took \(elapsed)")
            try await ledger.shutdown()
        }
    }

    @Test("The breaker opens on a dead downstream, refuses without calling, and closes after a successful probe")
    func breakerOpensAndRecovers() async throws {
        // Find a port, then let nothing listen on it.
        let port = try await withSimulator(knobs: SimulatorKnobs()) { _, port in port }
        let metrics = TestMetrics()
        let ledger = Self.ledger(port: port, metrics: metrics) {
            $0.breakerFailureThreshold = 3
            $0.breakerCoolDown = .milliseconds(400)
            $0.connectTimeout = .milliseconds(200)
        }
        for index in 0..<3 {
            let result = await ledger.credit([Self.credit("dead-\(index)")])
            #expect(result[0] != .retriable("circuit open"), "failure \(index) must reach the network")
        }
        #expect(ledger.breakerState == .open)
        let started = ContinuousClock.now
        #expect(await ledger.credit([Self.credit("dead-3")]) == [.retriable("circuit open")])
        #expect(ContinuousClock.now - started < .milliseconds(100), "an open circuit answers without calling")

        try await withSimulator(knobs: SimulatorKnobs(), port: port) { simulator, _ in
            try await Task.sleep(for: .milliseconds(450))
            let probe = await ledger.credit([Self.credit("alive-1")])
            #expect(probe[0] != .retriable("circuit open"))
            if case .credited = probe[0] {} else { Issue.record("the probe should be credited: \(probe[0])") }
            #expect(ledger.breakerState == .closed)
            #expect(simulator.stats.accepted == 1)
        }
        let gauge = try metrics.expectGauge("reward_ledger_breaker_state", [("ledger", "http:partner-prizes")])
        #expect(gauge.values.contains(2))
        #expect(gauge.lastValue == 0)
        try await ledger.shutdown()
    }
}
