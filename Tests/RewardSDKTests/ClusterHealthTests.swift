@testable import RewardSDK
import RewardTestKit
import Testing

@Suite("Cluster health and routing")
struct ClusterHealthTests {
    let policy = ClusterHealth.Policy(failureThreshold: 3, coolDown: 1_000)

    @Test("Closed → open after consecutive failures → one probe after the cool-down → closed or open again")
    func breaker() {
        var health = ClusterHealth(policy: policy)
        #expect(health.admit(now: 0) == .normal)
        #expect(health.record(success: false, probe: false, now: 0) == nil)
        #expect(health.record(success: true, probe: false, now: 0) == nil)  // a success resets the count
        #expect(health.record(success: false, probe: false, now: 0) == nil)
        #expect(health.record(success: false, probe: false, now: 0) == nil)
        #expect(health.record(success: false, probe: false, now: 10) == .down)
        #expect(health.admit(now: 500) == .refused)
        #expect(health.record(success: true, probe: false, now: 600) == nil, "a stale success does not reopen")
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
        var health = ClusterHealth(policy: ClusterHealth.Policy(failureThreshold: 3, failingTime: 100, coolDown: 1_000))
        for now in [UInt64(1_000), 1_010, 1_020, 1_030, 1_040] {
            #expect(health.record(success: false, probe: false, now: now) == nil, "a stall at \(now) ms")
        }
        #expect(health.record(success: true, probe: false, now: 1_050) == nil)
        #expect(health.record(success: false, probe: false, now: 2_000) == nil)
        #expect(health.record(success: false, probe: false, now: 2_050) == nil)
        #expect(health.record(success: false, probe: false, now: 2_100) == .down)
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
