/// Why a wallet view or a withdrawal was refused: a stable code callers can switch on (the API
/// answers with it) and a message a person can act on. Messages never contain token material.
public struct WalletError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable error code.
    public struct Code: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let invalidUserID = Code(rawValue: "invalid_user_id")
        public static let invalidRequestID = Code(rawValue: "invalid_request_id")
        public static let invalidAmount = Code(rawValue: "invalid_amount")
        /// No wallet reward type pays in this currency.
        public static let invalidCurrency = Code(rawValue: "invalid_currency")
        public static let invalidCursor = Code(rawValue: "invalid_cursor")
        public static let invalidLimit = Code(rawValue: "invalid_limit")
        /// More tokens presented than one withdrawal takes.
        public static let tooManyTokens = Code(rawValue: "too_many_tokens")
        /// The request id was used before with another amount or currency (or by another user).
        public static let requestIDReused = Code(rawValue: "request_id_reused")
        /// The balance does not cover the amount; nothing was debited.
        public static let insufficientFunds = Code(rawValue: "insufficient_funds")
        /// The per-user limit on withdrawal attempts was reached.
        public static let tooManyWithdrawals = Code(rawValue: "too_many_withdrawals")
        /// Pending rewards could not be settled now and the balance does not cover the amount
        /// without them: retry with the same request id.
        public static let settlementIncomplete = Code(rawValue: "settlement_incomplete")
        /// The wallet store (a core dependency of this path) did not answer: retry later.
        public static let walletUnavailable = Code(rawValue: "wallet_unavailable")
    }

    public var code: Code
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// Whether the same call may succeed later without changes.
    public var isRetriable: Bool {
        code == .walletUnavailable || code == .settlementIncomplete || code == .tooManyWithdrawals
    }
}
