@testable import RewardSDK
import RewardTestKit
import Testing

@Suite("Cluster health and routing")
struct ClusterHealthTests {
    let policy = ClusterHealth.Policy(failureThreshold: 3, coolDown: 1_000, alive: 5)

    @Test("Closed → open after failures that outnumber successes → one probe after the cool-down → closed or open again")
    func breaker() {
        var health = ClusterHealth(policy: policy)
        #expect(health.admit(now: 0) == .normal)
        #expect(health.record(success: false, probe: false, now: 0, rival: 1) == nil)
        #expect(health.record(success: true, probe: false, now: 0, rival: 1) == nil)
        #expect(health.record(success: true, probe: false, now: 0, rival: 1) == nil)  // more successes than failures: the streak is over
        #expect(health.state == .clean)
        #expect(health.record(success: false, probe: false, now: 0, rival: 1) == nil)
        #expect(health.record(success: false, probe: false, now: 0, rival: 1) == nil)
        #expect(health.record(success: false, probe: false, now: 10, rival: 1) == .down)
        #expect(health.admit(now: 500) == .refused)
        #expect(health.record(success: true, probe: false, now: 600, rival: 1) == nil, "a stale success does not reopen")
        #expect(health.admit(now: 1_010) == .probe)
        #expect(health.level == .probing)
        #expect(health.admit(now: 1_020) == .refused, "one probe at a time")
        #expect(health.record(success: false, probe: true, now: 1_100) == .down)
        #expect(health.admit(now: 2_000) == .refused)
        #expect(health.admit(now: 2_100) == .probe)
        #expect(health.record(success: true, probe: true, now: 2_150) == .healthy)
        #expect(health.admit(now: 2_200) == .normal)
    }

    @Test("A burst of failures shorter than failingTime does not trip; a streak that lasts does")
    func failingTime() {
        var health = ClusterHealth(policy: ClusterHealth.Policy(failureThreshold: 3, failingTime: 100, coolDown: 1_000, alive: 5))
        for now in [UInt64(1_000), 1_010, 1_020, 1_030, 1_040] {
            #expect(health.record(success: false, probe: false, now: now, rival: 1) == nil, "a stall at \(now) ms")
        }
        for _ in 0..<6 { #expect(health.record(success: true, probe: false, now: 1_050, rival: 1) == nil) }
        #expect(health.state == .clean, "successes outnumber the stall's failures")
        #expect(health.record(success: false, probe: false, now: 2_000, rival: 1) == nil)
        #expect(health.record(success: false, probe: false, now: 2_050, rival: 1) == nil)
        #expect(health.record(success: false, probe: false, now: 2_100, rival: 1) == .down)
    }

    @Test("A failing cluster leaves only when silent or outdone: slow alike, both stay; the last one stays while it answers")
    func silentOrOutdone() {
        let policy = ClusterHealth.Policy(failureThreshold: 3, coolDown: 1_000, alive: 500)
        var slow = ClusterHealth(policy: policy)
        slow.acknowledged(now: 900)  // a late acknowledgement: the attempt was already a miss
        for now in [UInt64(1_000), 1_010, 1_020, 1_300] {
            #expect(slow.record(success: false, probe: false, now: now) == nil, "last in rotation, answering at \(now)")
        }
        #expect(slow.record(success: false, probe: false, now: 1_310, rival: slow.inTimeShare + 0.2) == nil, "the other is about as slow")
        #expect(slow.isInRotation)
        #expect(slow.record(success: false, probe: false, now: 1_401) == .down, "nothing answered for 501")

        var silent = ClusterHealth(policy: policy)
        for now in [UInt64(0), 10] { _ = silent.record(success: false, probe: false, now: now) }
        #expect(silent.record(success: false, probe: false, now: 20) == .down, "never answered")

        var outdone = ClusterHealth(policy: policy)
        outdone.acknowledged(now: 0)
        for now in [UInt64(0), 10] { _ = outdone.record(success: false, probe: false, now: now, rival: 1) }
        #expect(outdone.record(success: false, probe: false, now: 20, rival: 1) == nil, "not yet clearly worse")
        var now: UInt64 = 20
        while outdone.isInRotation, now < 100 {
            now += 1
            _ = outdone.record(success: false, probe: false, now: now, rival: 1)
        }
        #expect(!outdone.isInRotation && outdone.inTimeShare <= 0.75, "left once the other answers clearly more often (\(now))")
    }

    @Test("The router lets a failing cluster go for a healthy one, and keeps two slow alike")
    func routerRivals() {
        let router = ClusterRouter(weights: [1, 1], policy: ClusterHealth.Policy(failureThreshold: 3, coolDown: 1_000)) { _, _ in }
        let (a, b) = (ClusterRouter.Permit(cluster: 0, probe: false), ClusterRouter.Permit(cluster: 1, probe: false))
        for now in UInt64(0)..<200 {
            router.acknowledged(0, now: now)
            router.acknowledged(1, now: now)
            router.report(a, success: now % 4 == 0, now: now)  // both three quarters late, alike
            router.report(b, success: now % 4 == 1, now: now)
        }
        #expect(router.level(0) == .healthy && router.level(1) == .healthy, "slow alike: both stay")
        for now in UInt64(200)..<400 {
            router.acknowledged(0, now: now)
            router.report(a, success: false, now: now)
            router.report(b, success: true, now: now)
        }
        #expect(router.level(0) == .down, "A left for B, which answers in time")
        #expect(router.level(1) == .healthy)
        for now in UInt64(400)..<600 {
            router.acknowledged(1, now: now)
            router.report(b, success: now % 4 == 0, now: now)
        }
        #expect(router.level(1) == .healthy, "the last one in rotation stays while it answers")
    }

    @Test("A cluster answering most attempts in time stays in, however many it misses; one missing most trips")
    func failureShare() {
        var mostly = ClusterHealth(policy: policy)
        for step in UInt64(0)..<300 {
            _ = mostly.record(success: step % 3 != 0, probe: false, now: step, rival: 1)  // every third late, in runs
        }
        #expect(mostly.isInRotation, "two thirds in time")
        var mostlyLate = ClusterHealth(policy: policy)
        var tripped: UInt64?
        for step in UInt64(0)..<300 where tripped == nil {
            if mostlyLate.record(success: step % 3 == 0, probe: false, now: step, rival: 1) == .down { tripped = step }
        }
        #expect(tripped != nil && tripped! < 40, "two thirds late trips within tens of attempts: \(String(describing: tripped))")
        var stale = ClusterHealth(policy: ClusterHealth.Policy(failureThreshold: 3, failingTime: 0, coolDown: 1_000))
        _ = stale.record(success: false, probe: false, now: 0)
        _ = stale.record(success: false, probe: false, now: 1)
        _ = stale.record(success: true, probe: false, now: 2)
        #expect(stale.record(success: false, probe: false, now: stale.streakWindow + 2) == nil, "a mixed streak past its window starts over")
        var slowDeath = ClusterHealth(policy: ClusterHealth.Policy(failureThreshold: 3, failingTime: 0, coolDown: 1_000))
        for now in [UInt64(0), slowDeath.streakWindow + 1] { _ = slowDeath.record(success: false, probe: false, now: now) }
        #expect(slowDeath.record(success: false, probe: false, now: 3 * slowDeath.streakWindow) == .down, "failures alone never age")
    }

    @Test("An unused probe is given back")
    func returnedProbe() {
        var health = ClusterHealth(policy: policy)
        for _ in 0..<3 { _ = health.record(success: false, probe: false, now: 0) }
        #expect(health.admit(now: 2_000) == .probe)
        health.returnProbe(now: 2_000)
        #expect(health.admit(now: 2_000) == .probe)
    }

    @Test("Weighted round robin; a refusing or already tried cluster is skipped")
    func routing() {
        let transitions = TestBox<[ClusterHealth.Level]>([])
        let router = ClusterRouter(weights: [3, 1], policy: policy) { _, level in transitions.withLock { $0.append(level) } }
        var counts = [0, 0]
        for _ in 0..<400 { counts[router.route(now: 0)!.cluster] += 1 }
        #expect(counts == [300, 100])

        #expect(router.route(excluding: 0b01, now: 0)?.cluster == 1)
        #expect(router.route(excluding: 0b11, now: 0) == nil)

        for _ in 0..<3 { router.report(ClusterRouter.Permit(cluster: 0, probe: false), success: false, now: 0) }
        #expect(transitions.value == [.down])
        for _ in 0..<10 { #expect(router.route(now: 10)?.cluster == 1) }
        let probe = router.route(excluding: 0b10, now: 2_000)
        #expect(probe == ClusterRouter.Permit(cluster: 0, probe: true))
        router.report(probe!, success: true, now: 2_001)
        #expect(transitions.value == [.down, .probing, .healthy])
        #expect(router.level(0) == .healthy)
    }

    @Test("Weight 0: the cluster takes traffic only when the others are out")
    func standby() {
        let router = ClusterRouter(weights: [1, 0], policy: policy) { _, _ in }
        for _ in 0..<20 { #expect(router.route(now: 0)?.cluster == 0) }
        for _ in 0..<3 { router.report(ClusterRouter.Permit(cluster: 0, probe: false), success: false, now: 0) }
        #expect(router.route(now: 1)?.cluster == 1)
    }
}
