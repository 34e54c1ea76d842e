import Foundation
import RewardCore
import MariaDB
import MetricsTestKit
@testable import RewardSettlement
import RewardTestKit
import Testing

@Suite("Fleet-wide rate share")
struct RateShareCoordinatorTests {
    static func coordinator(_ id: String, pool: MariaDBPool, limiter: RewardRateLimiter) -> RateShareCoordinator {
        var configuration = RateShareCoordinator.Configuration(instanceID: id)
        configuration.scope = "test"
        // The production timings: a heartbeat under 400 ms would fence itself whenever the test
        // machine stalls a transaction that long (seen when the suite shares two busy cores).
        configuration.heartbeatInterval = .seconds(1)
        configuration.leaseDuration = .seconds(3)
        return RateShareCoordinator(configuration: configuration, pool: pool, limiter: limiter, logger: makeTestLogger("share-\(id)"),
                                    metrics: TestMetrics())
    }

    static func limiter(_ configuration: RateLimitConfiguration, catalog: RewardCatalog? = nil) throws -> RewardRateLimiter {
        try RewardRateLimiter(configuration: configuration, catalog: catalog, logger: makeTestLogger("limiter"), metrics: TestMetrics())
    }

    /// A caller that keeps asking `limiter` for `type`'s permits, as a consumer with a backlog does.
    static func backlog(_ limiter: RewardRateLimiter, _ type: String) -> Task<Void, Never> {
        Task {
            while !Task.isCancelled { await limiter.acquire(rewardType: type) }
        }
    }

    /// Polls `condition` while checking at every observation that the shares of `bucket` never sum
    /// above 1, and that neither do the limiters' effective rates (by the expiry-checked shares).
    static func observe(_ members: [(RateShareCoordinator, RewardRateLimiter)], bucket: String, rate: Double,
                        until condition: @escaping @Sendable () -> Bool, within limit: Duration, _ what: String) async throws {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            let total = members.reduce(0) { $0 + $1.0.share(of: bucket) }
            #expect(total <= 1.000_001, "shares of \(bucket) sum to \(total) while \(what)")
            let rates = members.reduce(0.0) { sum, member in
                let rate = bucket.hasPrefix("shared:") ? member.1.effectiveRate(sharedDownstream: String(bucket.dropFirst(7)))
                                                       : member.1.effectiveRate(rewardType: bucket)
                return sum + (rate ?? 0)
            }
            #expect(rates <= rate * 1.000_001, "effective rates of \(bucket) sum to \(rates) while \(what)")
            if condition() { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        Issue.record("not reached within \(limit): \(what)")
    }

    @Test("Shares never sum above the rate while instances join, want, stop wanting, go silent or leave; an idle instance holds nothing")
    func sharesFollowDemandAndStayUnderTheRate() async throws {
        try await SettlementFixture.with("fleetshare") { fixture async throws in
            let configuration = RateLimitConfiguration(rates: ["coupon": 1000])
            let (la, lb, lc) = (try Self.limiter(configuration), try Self.limiter(configuration), try Self.limiter(configuration))
            let a = Self.coordinator("a", pool: fixture.pool, limiter: la)
            let b = Self.coordinator("b", pool: fixture.pool, limiter: lb)
            let c = Self.coordinator("c", pool: fixture.pool, limiter: lc)
            let all = [(a, la), (b, lb), (c, lc)]
            let runA = Task { try await a.run() }
            let wantA = Self.backlog(la, "coupon")
            try await Self.observe(all, bucket: "coupon", rate: 1000, until: { a.share(of: "coupon") == 1 }, within: .seconds(20),
                                   "a starts alone with a backlog")
            #expect(la.effectiveRate(rewardType: "coupon") == 1000)

            // b runs with nothing to do: it is counted, yet a keeps the whole rate.
            let runB = Task { try await b.run() }
            try await Self.observe(all, bucket: "coupon", rate: 1000, until: { a.activeInstances == 2 && b.activeInstances == 2 },
                                   within: .seconds(20), "b's lease is seen")
            try await Task.sleep(for: .seconds(3))
            #expect(a.share(of: "coupon") == 1, "an idle instance holds no share")
            #expect(b.share(of: "coupon") == 0)

            // b gets a backlog: it takes nothing until a has lowered its share.
            let wantedAt = ContinuousClock.now
            var wantB = Self.backlog(lb, "coupon")
            try await Self.observe(all, bucket: "coupon", rate: 1000,
                                   until: { a.share(of: "coupon") == 0.5 && b.share(of: "coupon") == 0.5 }, within: .seconds(20),
                                   "b wants the rate too")
            #expect(ContinuousClock.now - wantedAt >= .seconds(2), "b waited two heartbeat intervals")
            #expect(la.effectiveRate(rewardType: "coupon") == 500)

            // b's backlog runs out: b drops first, then a takes the whole rate back within a few seconds.
            let idleAt = ContinuousClock.now
            wantB.cancel()
            try await Self.observe(all, bucket: "coupon", rate: 1000,
                                   until: { a.share(of: "coupon") == 1 && b.share(of: "coupon") == 0 }, within: .seconds(20),
                                   "b's backlog ran out")
            #expect(ContinuousClock.now - idleAt < .seconds(8), "the idle share came back within a few heartbeats")

            // b wants again, then stops heartbeating while running (a partition): it fences itself
            // before its lease expires, and only then does a take the whole rate.
            wantB = Self.backlog(lb, "coupon")
            try await Self.observe(all, bucket: "coupon", rate: 1000,
                                   until: { a.share(of: "coupon") == 0.5 && b.share(of: "coupon") == 0.5 }, within: .seconds(20),
                                   "b wants again")
            b.suspendHeartbeats()
            try await Self.observe(all, bucket: "coupon", rate: 1000,
                                   until: { a.share(of: "coupon") == 1 && b.share(of: "coupon") == 0 }, within: .seconds(20),
                                   "b goes silent")
            #expect(lb.effectiveRate(rewardType: "coupon") == 0)
            wantB.cancel()
            runB.cancel()
            _ = try? await runB.value

            // c joins with a backlog and leaves gracefully: its lease is deleted, a takes the whole rate back.
            let runC = Task { try await c.run() }
            let wantC = Self.backlog(lc, "coupon")
            try await Self.observe(all, bucket: "coupon", rate: 1000,
                                   until: { a.share(of: "coupon") == 0.5 && c.share(of: "coupon") == 0.5 }, within: .seconds(20),
                                   "c joins")
            runC.cancel()
            _ = try? await runC.value
            wantC.cancel()
            #expect(c.share(of: "coupon") == 0)
            try await Self.observe(all, bucket: "coupon", rate: 1000, until: { a.share(of: "coupon") == 1 }, within: .seconds(20), "c left")
            #expect(try await fixture.count("SELECT COUNT(*) FROM rate_leases WHERE instance_id = '\(c.leaseInstanceID)'") == 0)

            runA.cancel()
            _ = try? await runA.value
            wantA.cancel()
            #expect(a.share(of: "coupon") == 0)
            #expect(la.effectiveRate(rewardType: "coupon") == 0)
        }
    }

    @Test("Cash first across instances: on a downstream shared by a cash and a goods type, goods yields while any instance wants it for cash")
    func cashFirstAcrossInstances() async throws {
        let catalog = try RewardCatalog(types: [
            RewardType(id: "cash_x", lane: .cash, ledger: "http:partner", unit: "CNY", minimumAmount: 1, maximumAmount: 100,
                       displayName: "cash"),
            RewardType(id: "goods_y", lane: .goods, ledger: "http:partner", unit: "item", minimumAmount: 1, maximumAmount: 1,
                       displayName: "goods"),
        ])
        let configuration = RateLimitConfiguration(sharedDownstreams: ["partner": .init(rate: 1000, types: ["cash_x", "goods_y"])])
        try await SettlementFixture.with("fleetcash") { fixture async throws in
            let (lg, lc) = (try Self.limiter(configuration, catalog: catalog), try Self.limiter(configuration, catalog: catalog))
            let goods = Self.coordinator("goods", pool: fixture.pool, limiter: lg)
            let cash = Self.coordinator("cash", pool: fixture.pool, limiter: lc)
            let members = [(goods, lg), (cash, lc)]
            let bucket = "shared:partner"
            let runGoods = Task { try await goods.run() }
            let runCash = Task { try await cash.run() }
            let wantGoods = Self.backlog(lg, "goods_y")
            try await Self.observe(members, bucket: bucket, rate: 1000, until: { goods.share(of: bucket) == 1 }, within: .seconds(20),
                                   "goods alone wants the partner")
            var wantCash = Self.backlog(lc, "cash_x")
            try await Self.observe(members, bucket: bucket, rate: 1000,
                                   until: { cash.share(of: bucket) == 1 && goods.share(of: bucket) == 0 }, within: .seconds(20),
                                   "cash wants it too: it gets all of it")
            wantCash.cancel()
            try await Self.observe(members, bucket: bucket, rate: 1000,
                                   until: { cash.share(of: bucket) == 0 && goods.share(of: bucket) == 1 }, within: .seconds(20),
                                   "cash is done: goods gets it back")
            wantCash = Self.backlog(lc, "cash_x")
            try await Self.observe(members, bucket: bucket, rate: 1000, until: { cash.share(of: bucket) == 1 }, within: .seconds(20),
                                   "cash again")
            wantCash.cancel()
            wantGoods.cancel()
            runGoods.cancel()
            runCash.cancel()
            _ = try? await runGoods.value
            _ = try? await runCash.value
        }
    }
}
