import HTTPTypes
import RewardCore
import RewardWallet

extension APIError {
    /// The SDK's grant errors: field errors 400, a switched-off type 403, not durable or shutting down 503.
    init(_ error: RewardError) {
        let status: HTTPResponse.Status = switch error.code {
        case .rewardTypeDisabled: .forbidden
        case .notDurable, .shuttingDown: .serviceUnavailable
        default: .badRequest
        }
        self.init(status, error.code.rawValue, error.message)
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
