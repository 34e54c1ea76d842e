import Foundation
import MariaDB
import MetricsTestKit
@testable import RewardSettlement
import RewardTestKit
import Testing

@Suite("Fleet-wide rate share")
struct RateShareCoordinatorTests {
    static func coordinator(_ id: String, pool: MariaDBPool, limiter: RewardRateLimiter? = nil) -> RateShareCoordinator {
        var configuration = RateShareCoordinator.Configuration(instanceID: id)
        configuration.scope = "test"
        // The production timings: a heartbeat under 400 ms would fence itself whenever the test
        // machine stalls a transaction that long (seen when the suite shares two busy cores).
        configuration.heartbeatInterval = .seconds(1)
        configuration.leaseDuration = .seconds(3)
        return RateShareCoordinator(configuration: configuration, pool: pool, limiter: limiter, logger: makeTestLogger("share-\(id)"),
                                    metrics: TestMetrics())
    }

    /// Polls `condition` while checking at every observation that the shares never sum above 1.
    static func observe(_ coordinators: [RateShareCoordinator], until condition: @escaping @Sendable () -> Bool,
                        within limit: Duration, _ what: String) async throws {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            let total = coordinators.reduce(0) { $0 + $1.share }
            #expect(total <= 1.000_001, "shares sum to \(total) while \(what)")
            if condition() { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        Issue.record("not reached within \(limit): \(what)")
    }

    @Test("Two instances: shares never sum above the rate, while one joins, stops heartbeating, or leaves")
    func sharesStayUnderTheRate() async throws {
        try await SettlementFixture.with("fleetshare") { fixture async throws in
            let limiter = try RewardRateLimiter(configuration: RateLimitConfiguration(rates: ["coupon": 1000]),
                                                logger: fixture.logger, metrics: fixture.metrics)
            let a = Self.coordinator("a", pool: fixture.pool, limiter: limiter)
            let b = Self.coordinator("b", pool: fixture.pool)
            let c = Self.coordinator("c", pool: fixture.pool)
            let runA = Task { try await a.run() }
            try await Self.observe([a], until: { a.share == 1 }, within: .seconds(20), "a starts alone")
            #expect(limiter.effectiveRate(rewardType: "coupon") == 1000)

            // b joins: it takes nothing until a has lowered its share.
            let joinedAt = ContinuousClock.now
            let runB = Task { try await b.run() }
            try await Self.observe([a, b], until: { a.share == 0.5 && b.share == 0.5 }, within: .seconds(20), "b joins")
            #expect(ContinuousClock.now - joinedAt >= .seconds(2), "b waited two heartbeat intervals")
            #expect(limiter.effectiveRate(rewardType: "coupon") == 500)
            #expect(a.activeInstances == 2)

            // b stops heartbeating but keeps running (a partition): it fences itself before its lease
            // expires, and only then does a take the whole rate.
            b.suspendHeartbeats()
            try await Self.observe([a, b], until: { a.share == 1 && b.share == 0 }, within: .seconds(20), "b goes silent")
            runB.cancel()
            _ = try? await runB.value

            // c joins and leaves gracefully: its lease is deleted, a takes the whole rate back.
            let runC = Task { try await c.run() }
            try await Self.observe([a, c], until: { a.share == 0.5 && c.share == 0.5 }, within: .seconds(20), "c joins")
            runC.cancel()
            _ = try? await runC.value
            #expect(c.share == 0)
            try await Self.observe([a, c], until: { a.share == 1 }, within: .seconds(20), "c left")
            #expect(try await fixture.count("SELECT COUNT(*) FROM rate_leases WHERE instance_id = 'c'") == 0)

            runA.cancel()
            _ = try? await runA.value
            #expect(a.share == 0)
            #expect(limiter.effectiveRate(rewardType: "coupon") == 0)
        }
    }
}
