import Foundation
import RewardCore

/// What a red envelope rain grants, decided by the drop number alone, so a retried catch of a drop
/// is the same grant (same order id, user, type and amount) and the totals are known in advance.
///
/// Most drops are cash envelopes; some hold lucky coins, coupons, gold frames or a partner prize
/// (the third-party ledger), so both lanes and all three ledgers are exercised.
struct RainPlan: Sendable {
    struct Drop: Sendable {
        var index: Int
        var round: Int
        var user: User
        /// The n of `user-<n>`.
        var userNumber: Int
        var rewardType: String
        var amount: Int64
    }

    /// Reward types by share of drops, in percent (they sum to 100).
    static let mix: [(type: String, percent: Int)] = [
        ("cash_red_envelope", 70), ("coin_lucky", 15), ("coupon_10off", 8), ("frame_gold", 5), ("prize_partner", 2),
    ]

    let activityID: String
    let drops: Int
    let users: Int
    let rounds: Int
    /// Every `retryEvery`-th drop is caught twice (a client retry): the second call must be absorbed.
    let retryEvery: Int

    func drop(_ index: Int) -> Drop {
        let perRound = max(1, (drops + rounds - 1) / rounds)
        let userNumber = (index &* 7_919) % users
        let user = User(id: Self.userID(userNumber), deviceID: "device-\(userNumber)", appID: "festival-app")
        let type = Self.type(forPercentile: index % 100)
        return Drop(index: index, round: index / perRound, user: user, userNumber: userNumber, rewardType: type, amount: Self.amount(type: type, index: index))
    }

    static func userID(_ number: Int) -> String { "user-\(number)" }

    func isRetried(_ index: Int) -> Bool {
        retryEvery > 0 && index % retryEvery == retryEvery - 1
    }

    static func type(forPercentile percentile: Int) -> String {
        var upper = 0
        for entry in mix {
            upper += entry.percent
            if percentile < upper { return entry.type }
        }
        return mix[0].type
    }

    /// Cash 0.01–88.80 CNY, coins 1–100, goods one item: spread but reproducible.
    static func amount(type: String, index: Int) -> Int64 {
        let spread = Int64((index &* 2_654_435_761) & 0x7fff_ffff)
        switch type {
        case "cash_red_envelope": return 1 + spread % 8_880
        case "coin_lucky": return 1 + spread % 100
        default: return 1
        }
    }
}
