import RewardWallet

/// One withdrawal as a client makes it: the tokens it holds presented (forcing their settlement),
/// the amount they sum to, and one request id for every try, so a retry can never pay twice.
struct RainWithdrawal: Sendable {
    enum Outcome: Sendable, Equatable {
        case paidOut
        /// Nothing moved (`insufficient_funds`): the presented rewards did not reach the balance.
        case refused(String)
        /// Still not paid out when the client gave up, or an answer the contract does not allow here.
        case failed(String)
    }

    struct Result: Sendable {
        var user: String
        var requestID: String
        var amount: Int64
        var midRain: Bool
        var outcome: Outcome
        /// Tries beyond the first (202, 503, no answer).
        var retries: Int
    }

    static let maximumTries = 20

    let user: String
    let requestID: String
    let currency: String
    let tokens: [PresentedToken]
    let midRain: Bool

    var amount: Int64 { tokens.reduce(0) { $0 + $1.amount } }

    /// Tries until paid out or refused; 202 (payout pending), 503 (settlement incomplete, wallet
    /// unavailable, paused) and no answer are retried with the same request id after a backoff.
    /// - Parameter record: Each try's latency in nanoseconds.
    func run(_ api: WalletAPIClient, record: (UInt64) -> Void) async -> Result {
        var last = "no answer"
        for attempt in 0..<Self.maximumTries {
            if attempt > 0 { try? await Task.sleep(for: .milliseconds(min(1_000, 50 << attempt))) }
            let began = ContinuousClock.now
            let answer = try? await api.withdraw(user: user, requestID: requestID, amount: amount, currency: currency, tokens: tokens)
            record(GrantPhase.nanoseconds(ContinuousClock.now - began))
            guard let answer else { continue }
            switch answer.status {
            case 200:
                return result(.paidOut, retries: attempt)
            case 202, 503:
                last = "HTTP \(answer.status) \(answer.code ?? answer.receipt?.status.rawValue ?? "")"
            case 409 where answer.code == "insufficient_funds":
                return result(.refused("insufficient_funds (balance after \(answer.receipt?.balanceAfter ?? -1))"), retries: attempt)
            default:
                return result(.failed("HTTP \(answer.status) \(answer.code ?? "")"), retries: attempt)
            }
        }
        return result(.failed("gave up after \(Self.maximumTries) tries: \(last)"), retries: Self.maximumTries - 1)
    }

    private func result(_ outcome: Outcome, retries: Int) -> Result {
        Result(user: user, requestID: requestID, amount: amount, midRain: midRain, outcome: outcome, retries: retries)
    }
}
