/// One kind of reward, as configured: which lane and ledger it goes to, its unit, the amounts a
/// grant may carry, and the degradation switch.
public struct RewardType: Sendable, Hashable, Codable {
    public var id: String
    public var lane: Lane
    /// The ledger that credits it: `wallet` (built-in, cash and coins), `goods` (built-in
    /// coupons, frames, prizes) or `http:<name>` (a downstream owned by another team).
    public var ledger: String
    /// What `amount` counts: a currency code for wallet credits (`CNY` in fen, `COIN`), or `item`.
    public var unit: String
    public var minimumAmount: Int64
    public var maximumAmount: Int64
    /// The degradation switch: when off, grants of this type are refused with
    /// ``RewardError/Code/rewardTypeDisabled`` and nothing else is affected.
    public var enabled: Bool
    public var displayName: String

    public init(id: String, lane: Lane, ledger: String, unit: String, minimumAmount: Int64, maximumAmount: Int64,
                enabled: Bool = true, displayName: String) {
        self.id = id
        self.lane = lane
        self.ledger = ledger
        self.unit = unit
        self.minimumAmount = minimumAmount
        self.maximumAmount = maximumAmount
        self.enabled = enabled
        self.displayName = displayName
    }
}
