import HTTPTypes
import RewardCore
import RewardWallet

extension APIError {
    /// The SDK's grant errors: field errors 400, a switched-off type 403, refused for good by the
    /// clusters 502 (the request was valid; sending it again changes nothing), not durable or
    /// shutting down 503. The token goes with the errors that carry one: proof of what was asked
    /// (`delivery_refused`: expired at issue; `not_durable`: may still land, retry the order id).
    init(_ error: RewardError) {
        let status: HTTPResponse.Status = switch error.code {
        case .rewardTypeDisabled: .forbidden
        case .activityDisabled: .forbidden
        case .deliveryRefused: .badGateway
        case .notDurable, .shuttingDown, .notReady: .serviceUnavailable
        default: .badRequest
        }
        self.init(status, error.code.rawValue, error.message)
        token = error.token?.encoded
    }

    /// Wallet errors: invalid input 400, a reused request id 409, too many attempts 429, the
    /// retriable ones 503.
    init(_ error: WalletError) {
        let status: HTTPResponse.Status = switch error.code {
        case .requestIDReused: .conflict
        case .tooManyWithdrawals: .tooManyRequests
        case .settlementIncomplete, .walletUnavailable: .serviceUnavailable
        default: .badRequest
        }
        self.init(status, error.code.rawValue, error.message)
    }
}
