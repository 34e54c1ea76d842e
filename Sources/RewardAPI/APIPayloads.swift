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
        var amount: WholeNumber
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
    var amount: WholeNumber
    var currency: String
    var tokens: [PresentedTokenBody]?
}

/// A token shown with a withdrawal, as the request carries it (``PresentedToken`` once decoded).
struct PresentedTokenBody: Decodable {
    var token: String
    var orderID: String
    var rewardType: String
    var amount: WholeNumber
    var activityID: String
    var sceneID: String

    var presented: PresentedToken {
        PresentedToken(token: token, orderID: orderID, rewardType: rewardType, amount: amount.value, activityID: activityID,
                       sceneID: sceneID)
    }
}

/// An `Int64` field of a request body. Foundation reports a number that does not fit (too large,
/// or with a fraction) as "not valid JSON" for the whole body; this names the field instead
/// (``APIError/badJSON(_:_:)`` shows the path).
struct WholeNumber: Decodable {
    static let refusal = "a whole number within 64 bits"

    var value: Int64

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        do {
            value = try container.decode(Int64.self)
        } catch let error as DecodingError {
            throw error
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: Self.refusal)
        }
    }
}
