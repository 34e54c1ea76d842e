import Foundation
import MetricsTestKit
import RewardCore
@testable import RewardSettlement
import RewardTestKit
import Testing

/// Real time, a few seconds each. Bounds are loose where a loaded machine can only make things
/// slower, and tight where a wrong limiter would be faster (a burst, a missed slowdown).
@Suite("Rate limiter")
struct RateLimiterTests {
    static func limiter(_ configuration: RateLimitConfiguration, catalog: RewardCatalog? = nil) throws -> RewardRateLimiter {
        try RewardRateLimiter(configuration: configuration, catalog: catalog, logger: makeTestLogger("limiter"), metrics: TestMetrics())
    }

    /// Starts `count` acquirers and returns their grant times (wall clock, ns), in grant order.
    static func grants(_ limiter: RewardRateLimiter, _ type: String, count: Int) async -> [Int64] {
        await withTaskGroup(of: Int64.self) { group in
            for _ in 0..<count {
                group.addTask {
                    await limiter.acquire(rewardType: type)
                    return WallClock.now()
                }
            }
            return await group.reduce(into: []) { $0.append($1) }.sorted()
        }
    }

    /// Starts `count` acquirers on one bucket and returns the slot times of their permits, sorted.
    /// Slot times, not the moments the tasks resumed: a busy machine resumes tasks late, but the
    /// slots are what the limiter decided.
    static func slots(_ bucket: RateBucket, count: Int) async -> [Int64] {
        await withTaskGroup(of: Int64?.self) { group in
            for _ in 0..<count { group.addTask { await bucket.acquire(permits: 1, priority: .normal) } }
            return await group.reduce(into: []) { if let slot = $1 { $0.append(slot) } }.sorted()
        }
    }

    @Test("Permits are paced across each 100 ms slice: no slice over its share, no burst at a slice start")
    func pacing() async throws {
        let bucket = RateBucket(name: "coupon", rate: 50, policy: .init())
        let times = await Self.slots(bucket, count: 25)
        #expect(times.count == 25)
        var perSlice: [Int64: Int] = [:]
        for time in times { perSlice[time / WallClock.sliceNanoseconds, default: 0] += 1 }
        #expect(perSlice.values.allSatisfy { $0 <= 5 }, "\(perSlice)")
        // On a 20 ms grid aligned to the wall clock, one permit per grid point: evenly spread.
        #expect(times.allSatisfy { $0 % 20_000_000 == 0 }, "\(times.map { $0 % 100_000_000 })")
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        #expect(gaps.allSatisfy { $0 >= 20_000_000 }, "\(gaps)")

        // The same through the public API: 25 permits at 50/s span at least 0.4 s.
        let limiter = try Self.limiter(RateLimitConfiguration(rates: ["coupon": 50]))
        let started = ContinuousClock.now
        _ = await Self.grants(limiter, "coupon", count: 25)
        #expect(ContinuousClock.now - started >= .milliseconds(400))
    }

    @Test("A rate changed while callers wait applies from the next slice")
    func liveRateChange() async throws {
        let bucket = RateBucket(name: "coupon", rate: 10, policy: .init())
        async let times = Self.slots(bucket, count: 30)
        try await Task.sleep(for: .milliseconds(300))
        let changedAt = WallClock.now()
        bucket.setRate(200)
        let all = await times
        let before = all.filter { $0 < changedAt }
        let after = all.filter { $0 >= changedAt }
        #expect(before.count <= 10, "10/s before the change: \(before.count) permits")
        #expect(zip(before.dropFirst(), before).allSatisfy { $0 - $1 >= 100_000_000 }, "one permit per slice at 10/s")
        let nextSlice = (changedAt / WallClock.sliceNanoseconds + 1) * WallClock.sliceNanoseconds
        #expect(after.allSatisfy { $0 >= nextSlice }, "old and new rates never share a slice")
        #expect(after.allSatisfy { $0 % 5_000_000 == 0 }, "on the 200/s grid")
        #expect(zip(after.dropFirst(), after).contains { $0 - $1 == 5_000_000 }, "permits 5 ms apart: the new rate")
        #expect(bucket.effectiveRate == 200)

        // Through the public API as well.
        let limiter = try Self.limiter(RateLimitConfiguration(rates: ["coupon": 10]))
        limiter.setRate(rewardType: "coupon", to: 200)
        #expect(limiter.effectiveRate(rewardType: "coupon") == 200)
        limiter.setRate(rewardType: "coupon", to: nil)
        #expect(limiter.effectiveRate(rewardType: "coupon") == nil)
    }

    @Test("Overload halves the rate (debounced, floored) and it recovers gradually")
    func overloadSlowdownAndRecovery() async throws {
        let limiter = try Self.limiter(RateLimitConfiguration(rates: ["prize": 100]))
        limiter.signalOverload(rewardType: "prize")
        limiter.signalOverload(rewardType: "prize")  // inside the debounce window: counts once
        let slowed = try #require(limiter.effectiveRate(rewardType: "prize"))
        #expect(slowed >= 49 && slowed <= 51, "\(slowed)")

        // Throughput follows: at most ~50/s now (plus a slice of slack).
        let started = WallClock.now()
        let times = await Self.grants(limiter, "prize", count: 40)
        let inHalfSecond = times.filter { $0 < started + 500_000_000 }.count
        #expect(inHalfSecond <= 31, "\(inHalfSecond) permits in 0.5 s at ~50/s")

        try await Task.sleep(for: .seconds(1))
        let recovered = try #require(limiter.effectiveRate(rewardType: "prize"))
        #expect(recovered > slowed + 5 && recovered < 100, "recovering by 10% of the configured rate per second: \(recovered)")

        var policy = RateLimitConfiguration.OverloadPolicy()
        policy.debounceMilliseconds = 0
        let floored = try Self.limiter(RateLimitConfiguration(rates: ["prize": 100], overload: policy))
        for _ in 0..<12 { floored.signalOverload(rewardType: "prize") }
        let floor = try #require(floored.effectiveRate(rewardType: "prize"))
        #expect(floor >= 4.9 && floor <= 5.1, "never below 5% of the configured rate: \(floor)")
    }

    @Test("A slow reward type never delays another")
    func independentTypes() async throws {
        let limiter = try Self.limiter(RateLimitConfiguration(rates: ["slow": 1, "fast": 100]))
        let slowWaiters = (0..<5).map { _ in Task { await limiter.acquire(rewardType: "slow") } }
        try await Task.sleep(for: .milliseconds(20))
        let started = ContinuousClock.now
        _ = await Self.grants(limiter, "fast", count: 50)
        let elapsed = ContinuousClock.now - started
        // 0.5 s at 100/s; queued behind the slow type it would take seconds. Loose for busy machines.
        #expect(elapsed < .milliseconds(2500), "50 fast permits at 100/s took \(elapsed) next to a 1/s type")
        for waiter in slowWaiters { waiter.cancel() }
        var granted = 0
        for waiter in slowWaiters where await waiter.value { granted += 1 }
        #expect(granted <= 2, "the slow type stays at 1/s: \(granted) of 5 granted")
        #expect(await limiter.acquire(rewardType: "unlimited"), "a type without a limit passes at once")
    }

    @Test("Cash goes first on a shared downstream")
    func cashFirst() async throws {
        let catalog = try RewardCatalog(types: [
            RewardType(id: "cash_x", lane: .cash, ledger: "http:partner", unit: "CNY", minimumAmount: 1, maximumAmount: 100,
                       displayName: "cash"),
            RewardType(id: "goods_y", lane: .goods, ledger: "http:partner", unit: "item", minimumAmount: 1, maximumAmount: 1,
                       displayName: "goods"),
        ])
        let limiter = try Self.limiter(
            RateLimitConfiguration(sharedDownstreams: ["partner": .init(rate: 20, types: ["cash_x", "goods_y"])]), catalog: catalog)
        let log = TestBox<[(String, Int64)]>([])
        let goods = (0..<20).map { _ in
            Task {
                if await limiter.acquire(rewardType: "goods_y") { log.withLock { $0.append(("goods", WallClock.now())) } }
            }
        }
        try await eventually(.seconds(5), "goods flowing before cash comes") { log.value.count >= 2 }
        let cashArrived = WallClock.now()
        // One caller taking 12 permits queues them all at once (separate tasks would trickle in).
        #expect(await limiter.acquire(rewardType: "cash_x", permits: 12))
        let cashDone = WallClock.now()
        for task in goods { task.cancel() }
        for task in goods { await task.value }
        let entries = log.value
        // A goods permit due as cash arrived may still be logged a little later (a busy machine
        // resumes tasks late); after 150 ms of the ~600 ms cash needs, none may appear.
        let goodsWhileCashWaited = entries.filter { $0.0 == "goods" && $0.1 > cashArrived + 150_000_000 && $0.1 < cashDone }.count
        #expect(goodsWhileCashWaited == 0, "goods took shared permits while cash waited")
        #expect(entries.filter { $0.0 == "goods" && $0.1 <= cashArrived }.count >= 1, "goods ran before cash came")
        #expect(Double(cashDone - cashArrived) / 1e9 < 2, "12 cash permits at 20/s")
    }

    @Test("The fleet share scales every rate, per bucket, and is worth nothing past its expiry")
    func fleetShare() async throws {
        let limiter = try Self.limiter(RateLimitConfiguration(
            rates: ["coupon": 100, "frame": 100], sharedDownstreams: ["partner": .init(rate: 40, types: ["coupon"])]))
        limiter.setFleetShare(FleetShare(fraction: 0.25, validUntil: nil))
        #expect(limiter.effectiveRate(rewardType: "coupon") == 20, "whole permits per slice: 2.5 a slice is 2")
        #expect(limiter.effectiveRate(sharedDownstream: "partner") == 10)
        limiter.setFleetShares(["coupon": FleetShare(fraction: 0.5, validUntil: nil)], otherwise: .none)
        #expect(limiter.effectiveRate(rewardType: "coupon") == 50)
        #expect(limiter.effectiveRate(rewardType: "frame") == 0, "a bucket not named gets `otherwise`")
        #expect(limiter.effectiveRate(sharedDownstream: "partner") == 0)

        // A share that expires stops on its own: no call, no timer, just the clock at the next permit.
        limiter.setFleetShare(FleetShare(fraction: 1, validUntil: .now + .milliseconds(300)))
        #expect(limiter.effectiveRate(rewardType: "coupon") == 100)
        try await Task.sleep(for: .milliseconds(400))
        #expect(limiter.effectiveRate(rewardType: "coupon") == 0)
        let late = Task { await limiter.acquire(rewardType: "coupon") }
        try await Task.sleep(for: .milliseconds(500))
        late.cancel()
        #expect(await late.value == false, "no permit from an expired share")
    }

    @Test("Three instances at a third of 2,000/s: their permits never add up past 200 in a slice")
    func thirdsStayUnderTheSlice() async throws {
        let buckets = (0..<3).map { _ in RateBucket(name: "prize", rate: 2_000, policy: .init()) }
        for bucket in buckets { bucket.setFleetShare(FleetShare(fraction: 1.0 / 3, validUntil: nil)) }
        // 66.7 a slice each, unrounded, gave all three the 67th permit in the same slices: 201.
        let slots = await withTaskGroup(of: [Int64].self) { group in
            for bucket in buckets { group.addTask { await Self.slots(bucket, count: 700) } }
            return await group.reduce(into: []) { $0 += $1 }
        }
        var perSlice: [Int64: Int] = [:]
        for slot in slots { perSlice[slot / WallClock.sliceNanoseconds, default: 0] += 1 }
        #expect(slots.count == 2_100)
        #expect(perSlice.values.allSatisfy { $0 <= 200 }, "busiest slice \(perSlice.values.max() ?? 0)")
        #expect(buckets[0].effectiveRate == 660)
    }

    @Test("Demand: a bucket is wanted while someone waits or asked within the window, at the highest priority asking")
    func demand() async throws {
        let catalog = try RewardCatalog(types: [
            RewardType(id: "cash_x", lane: .cash, ledger: "http:partner", unit: "CNY", minimumAmount: 1, maximumAmount: 100,
                       displayName: "cash"),
            RewardType(id: "goods_y", lane: .goods, ledger: "http:partner", unit: "item", minimumAmount: 1, maximumAmount: 1,
                       displayName: "goods"),
        ])
        let limiter = try Self.limiter(RateLimitConfiguration(
            rates: ["goods_y": 1000], sharedDownstreams: ["partner": .init(rate: 1000, types: ["cash_x", "goods_y"])]),
            catalog: catalog)
        #expect(limiter.demands(within: .seconds(1)).isEmpty)
        await limiter.acquire(rewardType: "goods_y")
        #expect(limiter.demands(within: .seconds(1)) == ["goods_y": .normal, "shared:partner": .normal])
        await limiter.acquire(rewardType: "cash_x")
        #expect(limiter.demands(within: .seconds(1)) == ["goods_y": .normal, "shared:partner": .high])
        try await Task.sleep(for: .milliseconds(300))
        #expect(limiter.demands(within: .milliseconds(200)).isEmpty, "asked longer ago than the window")

        // A waiter is demand however long it has waited.
        limiter.setFleetShare(.none)
        let waiting = Task { await limiter.acquire(rewardType: "goods_y") }
        try await Task.sleep(for: .milliseconds(300))
        #expect(limiter.demands(within: .milliseconds(200))["goods_y"] == .normal)
        waiting.cancel()
        _ = await waiting.value
    }

    @Test("Invalid limits are refused with a specific error")
    func invalidConfiguration() {
        #expect(throws: ConfigurationError.self) {
            _ = try RewardRateLimiter(configuration: RateLimitConfiguration(rates: ["x": -1]), logger: makeTestLogger("l"),
                                      metrics: TestMetrics())
        }
        let twice = RateLimitConfiguration(sharedDownstreams: ["a": .init(rate: 1, types: ["x"]), "b": .init(rate: 1, types: ["x"])])
        #expect(throws: ConfigurationError.self) { try twice.validate() }
    }
}

@Suite("Rate limit settings")
struct RateLimitSettingsTests {
    @Test("The repository's rate-limits.json loads and is valid")
    func repositoryFile() throws {
        let configuration = try RateLimitConfiguration.load(from: "\(TestEnvironment.repositoryRoot)/ops/config/rate-limits.json")
        #expect(configuration.rates["prize_partner"] == 2000)
        #expect(configuration.sharedDownstreams["partner-prizes"]?.types == ["prize_partner"])
        #expect(configuration.overload.factor == 0.5)
    }
}
