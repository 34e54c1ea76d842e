/// What a user asks to withdraw. The request id is the client's idempotency key: the same id
/// always gets the first answer, and the money moves at most once.
public struct WithdrawalRequest: Sendable, Hashable, Codable {
    public var userID: String
    /// Minor units, positive.
    public var amount: Int64
    /// The currency code of a wallet reward type (`CNY`, `COIN`).
    public var currency: String
    public var requestID: String
    /// Tokens the client holds that the tokens store may not have recorded yet.
    public var presentedTokens: [PresentedToken]

    /// - Parameters:
    ///   - userID: Whose wallet is debited (the caller is authenticated as this user).
    ///   - amount: Minor units.
    ///   - currency: The wallet currency.
    ///   - requestID: The idempotency key (1-64 letters, digits, `-`, `_`, `.`).
    ///   - presentedTokens: Tokens shown by the client, verified like stored ones.
    public init(userID: String, amount: Int64, currency: String, requestID: String, presentedTokens: [PresentedToken] = []) {
        self.userID = userID
        self.amount = amount
        self.currency = currency
        self.requestID = requestID
        self.presentedTokens = presentedTokens
    }
}
