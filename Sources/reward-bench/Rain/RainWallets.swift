import Foundation
import RewardSettlement
import RewardWallet
import Synchronization

/// The rain's users between their catches: some open their wallet after each catch (the reward
/// must show at once, pending or credited), some withdraw in the middle of the rain and some after
/// it, presenting the cash tokens they were given. Everything goes over HTTP to reward-api.
///
/// The users act on their own phones, not in the activity service's request handlers: a catch
/// only queues the user's next action, and ``actors`` tasks carry them out, so a slow wallet read
/// never holds back the grants (it did: 200,000 grants took 78 s instead of 24 s with the reads on
/// the granting callers). When the queue is full the action is skipped and counted, never waited for.
final class RainWallets: Sendable {
    /// One user action, queued by a catch.
    private enum Action: Sendable {
        case check(orderID: String, user: String, grantedAt: ContinuousClock.Instant)
        case withdrawMidRain(user: Int)
    }

    /// What the users saw and did, for the summary.
    struct Report: Sendable {
        var views = Latencies()
        /// Catches followed by a wallet read; those the first read (right after the grant returned)
        /// did not show; when the read that showed them was sent; those no read within
        /// ``shownWithin`` showed (the target, reported), and of those, the ones that a last read
        /// after the rain still did not show (a failure: the wallet lost them).
        var checked = 0
        var missedFirst = 0
        var lateBy = Latencies()
        /// From the grant's answer to the first read being sent (the users' queue's wait).
        var firstReadAfter = Latencies()
        var shownLate = 0
        var notShown = 0
        var readErrors = 0
        /// A few of the misses and errors, to look up.
        var examples: [String] = []
        var midRainLatencies = Latencies()
        var afterRainLatencies = Latencies()
        var withdrawals: [RainWithdrawal.Result] = []
        /// Actions not carried out because the users' queue was full (the bench's limit, not the system's).
        var skipped = 0
    }

    /// Cash tokens a withdrawing user holds and has not withdrawn yet.
    private struct Holding {
        var tokens: [PresentedToken] = []
        var withdrewMidRain = false
    }

    /// The most tokens one withdrawal may present (openapi: `tokens.maxItems`).
    static let maximumPresented = 200
    /// The target: a catch shows by a read sent within this of its grant. The SDK records tokens
    /// off the grant's path (batches gathered for 5 ms, behind whatever the database is doing), so
    /// a read right after the grant can come first. Missing it is reported with its figures, not
    /// failed: on a saturated 2-core machine one wallet read alone takes up to 2 s, and the
    /// target then measures the machine. (The grant's answer carries the signed token, which is
    /// what the app shows the user at once.)
    static let shownWithin: Duration = .seconds(2)
    /// Catches not shown within the target, read again once the rain is over.
    private let unshown = Mutex([(orderID: String, user: String)]())

    let api: WalletAPIClient
    let mix: RainUserMix
    let activityID: String
    let sceneID: String
    let cashType: String
    let currency: String
    private let holdings = Mutex([Int: Holding]())
    private let state = Mutex(Report())
    private let actions: AsyncStream<Action>
    private let queue: AsyncStream<Action>.Continuation
    private let actors = Mutex<Task<Void, Never>?>(nil)

    /// - Parameters:
    ///   - actors: how many users act at once (about the HTTP client's connections).
    ///   - queueCapacity: actions waiting for an actor before new ones are skipped.
    init(api: WalletAPIClient, mix: RainUserMix, activityID: String, sceneID: String, cashType: String, currency: String,
         actors: Int = 64, queueCapacity: Int = 100_000) {
        self.api = api
        self.mix = mix
        self.activityID = activityID
        self.sceneID = sceneID
        self.cashType = cashType
        self.currency = currency
        (actions, queue) = AsyncStream.makeStream(of: Action.self, bufferingPolicy: .bufferingOldest(queueCapacity))
        let stream = actions
        self.actors.withLock { task in
            task = Task { [self] in
                await withTaskGroup(of: Void.self) { group in
                    for _ in 0..<max(1, actors) {
                        group.addTask {
                            for await action in stream { await self.perform(action) }
                        }
                    }
                }
            }
        }
    }

    /// No more catches: waits until every queued action is done.
    func finishActions() async {
        queue.finish()
        await actors.withLock { $0 }?.value
    }

    var report: Report { state.withLock { $0 } }

    /// Called by the rain's caller right after `drop` was accepted with `token`; never waits.
    func caught(_ drop: RainPlan.Drop, orderID: String, token: String) {
        let user = drop.userNumber
        if drop.rewardType == cashType, mix.withdrawsMidRain(user) || mix.withdrawsAfterRain(user) {
            let presented = PresentedToken(token: token, orderID: orderID, rewardType: drop.rewardType, amount: drop.amount,
                                           activityID: activityID, sceneID: sceneID)
            holdings.withLock { $0[user, default: Holding()].tokens.append(presented) }
        }
        if mix.readsWallet(user) { enqueue(.check(orderID: orderID, user: drop.user.id, grantedAt: .now)) }
        if drop.round >= mix.midRound, mix.withdrawsMidRain(user) { enqueue(.withdrawMidRain(user: user)) }
    }

    private func enqueue(_ action: Action) {
        if case .dropped = queue.yield(action) { state.withLock { $0.skipped += 1 } }
    }

    private func perform(_ action: Action) async {
        switch action {
        case .check(let orderID, let user, let grantedAt):
            await checkShown(orderID, user: user, grantedAt: grantedAt)
        case .withdrawMidRain(let user):
            let tokens = holdings.withLock { holdings -> [PresentedToken]? in
                guard holdings[user]?.withdrewMidRain == false else { return nil }
                holdings[user]?.withdrewMidRain = true
                return take(&holdings, user)
            }
            if let tokens, !tokens.isEmpty { await withdraw(user: user, tokens: tokens, midRain: true) }
        }
    }

    /// The after-rain withdrawers take out everything they hold, `concurrency` at a time.
    func withdrawAfterRain(concurrency: Int) async {
        let batches = holdings.withLock { holdings in
            holdings.keys.sorted().filter { mix.withdrawsAfterRain($0) }.map { ($0, take(&holdings, $0)) }.filter { !$0.1.isEmpty }
        }
        _ = await concurrentMap(batches, limit: concurrency) { user, tokens in
            await self.withdraw(user: user, tokens: tokens, midRain: false)
        }
    }

    /// The newest tokens a user holds, at most one withdrawal's worth; the rest wait for the next.
    private func take(_ holdings: inout [Int: Holding], _ user: Int) -> [PresentedToken] {
        guard var holding = holdings[user] else { return [] }
        let taken = Array(holding.tokens.suffix(Self.maximumPresented))
        holding.tokens.removeLast(taken.count)
        holdings[user] = holding
        return taken
    }

    private func checkShown(_ orderID: String, user: String, grantedAt granted: ContinuousClock.Instant) async {
        state.withLock { $0.checked += 1 }
        var first = true
        // Only reads sent within the target count here; what they miss is read again after the
        // rain, so a user's actor is never held longer than the target plus one read.
        while ContinuousClock.now - granted < Self.shownWithin {
            let began = ContinuousClock.now
            let shown: Bool
            do {
                shown = try await api.wallet(user: user).shows(orderID)
            } catch {
                note({ $0.readErrors += 1 }, example: "wallet read failed: \(error)")
                return
            }
            let took = GrantPhase.nanoseconds(ContinuousClock.now - began)
            state.withLock { report in
                report.views.record(nanoseconds: took)
                if first { report.firstReadAfter.record(nanoseconds: GrantPhase.nanoseconds(began - granted)) }
                if first, !shown { report.missedFirst += 1 }
                if !first, shown { report.lateBy.record(nanoseconds: GrantPhase.nanoseconds(began - granted)) }
            }
            if shown { return }
            first = false
            try? await Task.sleep(for: .milliseconds(100))
        }
        state.withLock { $0.shownLate += 1 }
        unshown.withLock { $0.append((orderID, user)) }
    }

    /// After the rain: every catch the target missed must show now (pending or credited), read by
    /// `concurrency` users at a time; one that does not was lost by the wallet view.
    func recheckUnshown(concurrency: Int) async {
        let pending = unshown.withLock { $0 }
        _ = await concurrentMap(pending, limit: concurrency) { orderID, user in
            do {
                if try await self.api.wallet(user: user).shows(orderID) { return }
                self.note({ $0.notShown += 1 }, example: "\(orderID) not in \(user)'s wallet after the rain")
            } catch {
                self.note({ $0.readErrors += 1 }, example: "wallet read failed: \(error)")
            }
        }
    }

    private func note(_ change: (inout Report) -> Void, example: String) {
        state.withLock { report in
            change(&report)
            if report.examples.count < 5 { report.examples.append(example) }
        }
    }

    private func withdraw(user: Int, tokens: [PresentedToken], midRain: Bool) async {
        let withdrawal = RainWithdrawal(user: RainPlan.userID(user), requestID: "wd-\(activityID)-\(user)-\(midRain ? "mid" : "after")", currency: currency,
                                        tokens: tokens, midRain: midRain)
        let result = await withdrawal.run(api) { nanoseconds in
            state.withLock { report in
                if midRain { report.midRainLatencies.record(nanoseconds: nanoseconds) } else { report.afterRainLatencies.record(nanoseconds: nanoseconds) }
            }
        }
        state.withLock { $0.withdrawals.append(result) }
    }
}
