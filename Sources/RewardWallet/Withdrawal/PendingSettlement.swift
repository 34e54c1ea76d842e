/// What settling a withdrawal's pending rewards came to, before the debit.
struct PendingSettlement: Sendable {
    var settled: [SettledReward] = []
    var rejected: [TokenRejection] = []
    var unsettled: [UnsettledReward] = []

    /// The receipt for this settlement and the debit's outcome.
    func receipt(for request: WithdrawalRequest, _ outcome: DebitOutcome) -> WithdrawalReceipt {
        var receipt = WithdrawalReceipt(
            requestID: request.requestID, userID: request.userID, amount: request.amount, currency: request.currency,
            status: .payoutPending, refusal: nil, settled: settled, rejected: rejected, unsettled: unsettled,
            balanceAfter: nil, payoutReference: nil, replayed: false)
        switch outcome {
        case .debited(let balance):
            receipt.balanceAfter = balance
        case .insufficient(let balance):
            receipt.status = .refused
            receipt.balanceAfter = balance
            receipt.refusal = WithdrawalReceipt.Refusal(
                code: WalletError.Code.insufficientFunds.rawValue,
                message: "the balance \(balance) does not cover \(request.amount) \(request.currency); nothing was debited")
        case .requestIDTaken:
            break
        }
        return receipt
    }
}
