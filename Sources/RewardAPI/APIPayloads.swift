import RewardCore
import RewardWallet

/// `POST /v1/bonus`: the fields of the SDK's `sendBonus`.
struct BonusRequestBody: Decodable {
    var activity: Activity
    var user: User
    var bonus: BonusBody
    var orderID: String

    struct BonusBody: Decodable {
        var rewardType: String
        var amount: Int64
        var extensions: [String: String]?
    }
}

struct BonusResponseBody: Encodable {
    var orderID: String
    var token: String
}

/// `POST /v1/users/{id}/withdrawals`.
struct WithdrawalRequestBody: Decodable {
    var requestID: String
    var amount: Int64
    var currency: String
    var tokens: [PresentedToken]?
}
