import Foundation
import RewardCore

/// A token a withdrawal may settle, from the tokens store or from the request.
struct TokenCandidate: Sendable, Hashable {
    enum Origin: Sendable, Hashable {
        case stored
        case presented(index: Int)
    }

    var origin: Origin
    var token: String
    var orderID: String
    var rewardType: String
    var amount: Int64
    var activityID: String
    var sceneID: String
    /// Whether activity and scene come from our tokens store (else only the client names them,
    /// which a version 1 token cannot back: it does not bind the activity).
    var activityFromStore: Bool

    func rejection(_ reason: String, _ message: String) -> TokenRejection {
        switch origin {
        case .stored:
            TokenRejection(source: "stored", index: nil, orderID: String(orderID.prefix(128)), reason: reason, message: message)
        case .presented(let index):
            TokenRejection(source: "presented", index: index, orderID: String(orderID.prefix(128)), reason: reason, message: message)
        }
    }
}

/// Checks that a token is one we minted, for this user, unaltered, unexpired, for a reward type
/// that exists, is switched on and pays in the withdrawal's currency. Pure computation: no store.
struct TokenVerifier: Sendable {
    /// What a withdrawal's settlement request names as device and app (not part of a claim's identity).
    static let deviceID = "wallet"
    static let appID = "reward-wallet"

    let catalog: RewardCatalog
    let keyRing: TokenKeyRing

    /// The verified grant for a valid candidate, or why it is refused.
    func verify(_ candidate: TokenCandidate, user: String, currency: String, now: Date) -> Result<VerifiedGrant, TokenRejection> {
        let activity = Activity(id: candidate.activityID, sceneID: candidate.sceneID)
        let grantee = User(id: user, deviceID: Self.deviceID, appID: Self.appID)
        let bonus = BonusContent(rewardType: candidate.rewardType, amount: candidate.amount)
        let orderID = OrderID(candidate.orderID)
        do {
            try GrantValidation.validate(activity: activity, user: grantee, bonus: bonus, orderID: orderID)
        } catch {
            return .failure(candidate.rejection("invalid_token_fields", error.message))
        }
        // The signature first: a forged token is reported as forged whatever else it claims. The
        // grant time is the token's issue time (the event's own is not known here).
        let issued = (try? RewardToken(parsing: candidate.token)).map { Int64($0.issuedAt) * 1000 } ?? 0
        let grant: VerifiedGrant
        do {
            let event = BonusEvent(orderID: orderID, activity: activity, user: grantee, bonus: bonus,
                                   lane: catalog[candidate.rewardType]?.lane ?? .cash,
                                   grantedAtMilliseconds: issued, token: candidate.token)
            grant = try keyRing.verify(event, activityFrom: candidate.activityFromStore ? .ourRecords : .client, now: now)
        } catch {
            return .failure(candidate.rejection(error.code.rawValue, error.message))
        }
        let type: RewardType
        do {
            type = try catalog.validate(bonus)
        } catch {
            return .failure(candidate.rejection(error.code.rawValue, error.message))
        }
        guard type.ledger == "wallet", type.unit == currency else {
            return .failure(candidate.rejection("currency_mismatch", "\(type.id) pays in \(type.unit), not \(currency)"))
        }
        return .success(grant)
    }
}
