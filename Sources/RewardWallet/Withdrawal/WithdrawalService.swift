import Foundation
public import Logging
import MariaDB
public import Metrics
public import RewardCore
public import RewardSettlement

/// Withdrawals: settle the user's pending rewards first, synchronously, then debit once.
///
/// ``withdraw(_:)`` lists the user's unsettled tokens (stored, plus those the client presents),
/// verifies each (signature, key, user binding, expiry, reward type on, currency), settles the
/// genuine ones through the ``SettlementEngine`` — whoever claims an order id first, this path or
/// a consumer, wins, and the other sees it credited — then debits the wallet in one transaction
/// that locks the account (no overdraft) and records the request id (a retry gets the first
/// answer), and hands the money to the payout ``Ledger``.
public final class WithdrawalService: Sendable {
    /// Limits of one withdrawal.
    public struct Configuration: Sendable {
        /// Tokens a client may present with one withdrawal. Default 200.
        public var maximumPresentedTokens = 200
        /// The newest stored tokens looked at for pending rewards. Default 1,000.
        public var pendingScanLimit = 1_000
        /// Withdrawal attempts a user may make in a burst. Default 10.
        public var attemptsPerUser = 10
        /// The time in which a user regains every attempt. Default 1 minute.
        public var attemptPeriod: Duration = .seconds(60)

        public init() {}
    }

    let configuration: Configuration
    let tokens: TokenStore
    let claims: ClaimReader
    let withdrawals: WithdrawalStore
    let engine: SettlementEngine
    let payout: any Ledger
    let catalog: RewardCatalog
    let verifier: TokenVerifier
    let limiter: KeyedRateLimiter
    let logger: Logger
    let metrics: WalletMetrics

    /// - Parameters:
    ///   - configuration: Token and attempt limits.
    ///   - stores: Tokens, claims and wallet stores.
    ///   - engine: The settlement engine every path settles through.
    ///   - payout: Where debited money goes (``PayoutLedger``, or another ``Ledger``); the credit's
    ///     order id is the withdrawal's request id.
    ///   - catalog: Reward types (which are on, which pay in which currency).
    ///   - keyRing: Verifies tokens.
    ///   - logger: Refusals at notice, store failures at warning.
    ///   - metrics: `reward_withdrawals_total`, `reward_withdrawal_token_rejections_total`, … (see ``WalletMetrics``).
    public init(configuration: Configuration = Configuration(), stores: WalletStores, engine: SettlementEngine, payout: any Ledger,
                catalog: RewardCatalog, keyRing: TokenKeyRing, logger: Logger, metrics: any MetricsFactory) {
        self.configuration = configuration
        self.tokens = TokenStore(shards: stores.tokens)
        self.claims = ClaimReader(shards: stores.settlement.claims)
        self.withdrawals = WithdrawalStore(shards: stores.settlement.wallet)
        self.engine = engine
        self.payout = payout
        self.catalog = catalog
        self.verifier = TokenVerifier(catalog: catalog, keyRing: keyRing)
        self.limiter = KeyedRateLimiter(burst: configuration.attemptsPerUser, per: configuration.attemptPeriod)
        self.logger = logger
        self.metrics = WalletMetrics(factory: metrics)
    }

    /// Withdraws `request.amount` after settling the user's pending rewards.
    /// - Returns: The receipt: paid out, payout pending, or refused (insufficient funds), with what
    ///   was settled first and which tokens were refused and why.
    /// - Throws: ``WalletError``: `invalid_user_id`, `invalid_request_id`, `invalid_amount`,
    ///   `invalid_currency`, `too_many_tokens`, `request_id_reused`, `too_many_withdrawals`,
    ///   `settlement_incomplete` (retry with the same request id), `wallet_unavailable`.
    public func withdraw(_ request: WithdrawalRequest) async throws(WalletError) -> WithdrawalReceipt {
        let started = ContinuousClock.now
        defer { metrics.withdrawalDuration.recordNanoseconds(Self.nanoseconds(ContinuousClock.now - started)) }
        do {
            try validate(request)
        } catch {
            metrics.withdrawal("invalid")
            throw error
        }
        if let previous = try await previousAnswer(request) {
            metrics.withdrawal("replayed")
            return previous
        }
        guard limiter.tryAcquire(request.userID) else {
            metrics.withdrawal("rate_limited")
            throw WalletError(.tooManyWithdrawals, "too many withdrawal attempts; try again in a minute")
        }
        let settlement = await settlePending(request)
        return try await debitAndPay(request, settlement)
    }

    // MARK: Validation

    private func validate(_ request: WithdrawalRequest) throws(WalletError) {
        try Identifiers.checkUser(request.userID)
        guard Identifiers.isValid(request.requestID) else {
            throw WalletError(.invalidRequestID, "request id must be 1-\(Identifiers.maximumLength) letters, digits, '-', '_' or '.'")
        }
        guard request.amount > 0 else { throw WalletError(.invalidAmount, "amount must be a positive number of minor units") }
        guard walletTypes(for: request.currency).isEmpty == false else {
            throw WalletError(.invalidCurrency, "no wallet reward pays in '\(request.currency.prefix(16))'")
        }
        guard request.presentedTokens.count <= configuration.maximumPresentedTokens else {
            throw WalletError(.tooManyTokens, "at most \(configuration.maximumPresentedTokens) tokens per withdrawal")
        }
    }

    /// The wallet reward types paying in `currency` (switched off ones too: their tokens are refused by reason).
    func walletTypes(for currency: String) -> [String] {
        catalog.types.values.filter { $0.ledger == "wallet" && $0.unit == currency }.map(\.id).sorted()
    }

    // MARK: Debit and payout

    private func debitAndPay(_ request: WithdrawalRequest, _ settlement: PendingSettlement) async throws(WalletError)
        -> WithdrawalReceipt
    {
        let outcome: DebitOutcome
        do {
            outcome = try await withdrawals.debit(request, receipt: { settlement.receipt(for: request, $0) },
                                                  recordRefusal: settlement.unsettled.isEmpty)
        } catch {
            // The commit's answer may have been lost: the request id tells whether it happened.
            logger.warning("withdrawal debit failed", metadata: ["request": "\(request.requestID)", "error": "\(error)"])
            if let previous = try? await previousAnswer(request) { return previous }
            metrics.withdrawal("failed")
            throw WalletError(.walletUnavailable, "the wallet is unavailable right now; retry with the same request id")
        }
        switch outcome {
        case .requestIDTaken:
            if let previous = try await previousAnswer(request) { return previous }
            metrics.withdrawal("failed")
            throw WalletError(.walletUnavailable, "a concurrent call with this request id did not finish; retry with it")
        case .insufficient:
            guard settlement.unsettled.isEmpty else {
                metrics.withdrawal("refused")
                throw WalletError(.settlementIncomplete,
                                  "\(settlement.unsettled.count) pending rewards could not settle now; retry with the same request id")
            }
            metrics.withdrawal("refused")
            return settlement.receipt(for: request, outcome)
        case .debited:
            return await pay(request, settlement.receipt(for: request, outcome))
        }
    }

    /// Hands a debited withdrawal to the payout ledger; a failure leaves it `payout_pending` for a retry.
    func pay(_ request: WithdrawalRequest, _ debited: WithdrawalReceipt) async -> WithdrawalReceipt {
        let credit = LedgerCredit(
            orderID: OrderID(request.requestID), userID: request.userID, activityID: "withdrawal", rewardType: "withdrawal",
            amount: request.amount, unit: request.currency, grantedAt: WallClock.date())
        var receipt = debited
        switch await payout.credit([credit]).first {
        case .credited(let reference)?, .alreadyCredited(let reference)?:
            receipt.status = .paidOut
            receipt.payoutReference = reference
            do {
                try await withdrawals.markPaidOut(user: request.userID, requestID: request.requestID, reference: reference,
                                                  receipt: receipt)
            } catch {
                // Paid, not yet marked: a retry pays again idempotently and marks it then.
                logger.warning("payout not marked", metadata: ["request": "\(request.requestID)", "error": "\(error)"])
            }
            metrics.withdrawal("paid_out")
        case .permanent(let code, _)?:
            metrics.payoutFailure("permanent")
            logger.error("payout ledger refused a debited withdrawal", metadata: ["request": "\(request.requestID)", "code": "\(code)"])
            metrics.withdrawal("payout_pending")
        case .retriable?, nil:
            metrics.payoutFailure("retriable")
            metrics.withdrawal("payout_pending")
        }
        return receipt
    }

    // MARK: Idempotency

    /// The first answer for this request id, completing its payout if that is still open.
    /// - Throws: `request_id_reused` when the id was used with other fields; `wallet_unavailable`.
    private func previousAnswer(_ request: WithdrawalRequest) async throws(WalletError) -> WithdrawalReceipt? {
        let recorded: RecordedWithdrawal?
        do {
            recorded = try await withdrawals.find(user: request.userID, requestID: request.requestID)
        } catch {
            logger.warning("withdrawal lookup failed", metadata: ["error": "\(error)"])
            throw WalletError(.walletUnavailable, "the wallet is unavailable right now; retry with the same request id")
        }
        guard let recorded else { return nil }
        guard recorded.userID == request.userID, recorded.amount == request.amount, recorded.currency == request.currency else {
            throw WalletError(.requestIDReused, "this request id was used for another withdrawal")
        }
        guard var receipt = recorded.receipt else {
            throw WalletError(.walletUnavailable, "this withdrawal is still in progress; retry with the same request id")
        }
        if recorded.state == "debited" {
            receipt = await pay(request, receipt)
        }
        receipt.replayed = true
        return receipt
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }
}
