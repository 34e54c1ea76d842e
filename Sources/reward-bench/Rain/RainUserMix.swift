/// Which of the rain's users do more than catch envelopes: open their wallet after each catch,
/// withdraw in the middle of the rain, withdraw after it. Decided by the user number alone (a
/// different hash per behaviour, so the three groups overlap at random), so a rerun with the same
/// flags picks the same users.
struct RainUserMix: Sendable {
    /// Percent of users in each group (0...100).
    let walletReaders: Int
    let midRainWithdrawers: Int
    let afterRainWithdrawers: Int

    /// The round from which a mid-rain withdrawer withdraws, at its first catch (the rain's middle).
    let midRound: Int

    var readsWallets: Bool { walletReaders > 0 }
    var withdraws: Bool { midRainWithdrawers > 0 || afterRainWithdrawers > 0 }
    var usesAPI: Bool { readsWallets || withdraws }

    func readsWallet(_ user: Int) -> Bool { Self.percentile(user, salt: 1) < walletReaders }
    func withdrawsMidRain(_ user: Int) -> Bool { Self.percentile(user, salt: 2) < midRainWithdrawers }
    func withdrawsAfterRain(_ user: Int) -> Bool { Self.percentile(user, salt: 3) < afterRainWithdrawers }

    /// 0...99, spread evenly over consecutive user numbers (a multiplicative hash, high bits).
    static func percentile(_ user: Int, salt: UInt64) -> Int {
        let mixed = (UInt64(truncatingIfNeeded: user) &+ salt &* 0x9E37_79B9_7F4A_7C15) &* 0xBF58_476D_1CE4_E5B9
        return Int((mixed >> 32) % 100)
    }
}
