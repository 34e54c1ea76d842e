import Foundation
import RewardTestKit

/// The SDK traffic: `reward-sdk-probe grant-loop` as a process of its own, killed mid-burst by the
/// `sdk-kill` fault and started again on the same spool (which it replays), each generation with
/// order numbers of its own.
actor ChaosProbe {
    private let stack: ChaosStack
    private let grants: ChaosGrants
    private let run: String
    private let rate: Int
    private var generation = 0
    private var child: ChildProcess?
    private var reading: Task<Void, Never>?
    private(set) var kills = 0
    private(set) var failures: [String] = []

    init(stack: ChaosStack, grants: ChaosGrants, run: String, rate: Int) {
        self.stack = stack
        self.grants = grants
        self.run = run
        self.rate = rate
    }

    private var options: [String] {
        ["--clusters", "\(stack.paths.work)/clusters.json", "--spool", "\(stack.paths.work)/probe-spool",
         "--catalog", "\(stack.paths.root)/ops/config/reward-types.json"]
    }

    func start() throws {
        generation += 1
        let child = try ChildProcess("\(stack.paths.bin)/reward-sdk-probe", ["grant-loop"] + options + [
            "--run", run, "--start", String(generation * 10_000_000), "--rate", String(rate), "--concurrency", "16",
            "--types", "cash_red_envelope,coupon_10off,prize_partner,coin_lucky,frame_gold", "--activity", "chaos",
            "--users", "200", "--duplicate-every", "17", "--conflict-every", "53", "--describe",
        ], environment: ["REWARD_LOG_LEVEL": "critical"])
        self.child = child
        let grants = self.grants
        reading = Task { for await line in child.lines { await grants.record(probeLine: line) } }
    }

    /// `kill -9` mid-burst, then a new generation on the same spool.
    func killAndRestart() async throws {
        guard let child else { return }
        kills += 1
        child.send(signal: SIGKILL)
        check(await child.waitForExit(limit: .seconds(30)))
        await reading?.value
        try start()
    }

    /// A probe that had exited before our SIGKILL crashed (its status is not SIGKILL's).
    private func check(_ exit: (status: Int32, errorOutput: String)) {
        guard exit.status != SIGKILL else { return }
        failures.append("reward-sdk-probe exited by itself with status \(exit.status): \(ChaosStack.lastLines(exit.errorOutput))")
    }

    /// Stops granting (SIGKILL: the loop has no clean stop) and replays what the spool still holds.
    func stop() async throws {
        if let child {
            child.send(signal: SIGKILL)
            check(await child.waitForExit(limit: .seconds(30)))
            await reading?.value
            self.child = nil
        }
        let replay = try await runExecutable("\(stack.paths.bin)/reward-sdk-probe", ["replay", "--timeout", "90"] + options)
        if replay.status != 0 { failures.append("the spool was not replayed: \(replay.errorOutput)") }
    }
}
