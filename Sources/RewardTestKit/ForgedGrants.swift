public import Foundation
public import RewardCore

/// Grants that must never turn into money, one per way of cheating, each with the refusal reason a
/// verifier must give. Built from genuine grants of the test key ring, then altered the way an
/// attacker with a real token (or none) would alter them.
public enum ForgedGrants {
    public enum Kind: String, CaseIterable, Sendable {
        /// Random bytes where the MAC should be.
        case forgedSignature
        /// Each field the MAC binds, changed after minting.
        case alteredOrder, alteredUser, alteredType, alteredAmount, alteredActivity
        /// A genuine token re-sent under another (new) order id.
        case replayedUnderAnotherOrder
        /// Signed with a key the ring never held.
        case unknownKey
        /// Signed with the development key published in ops/config/dev.json, under its key id 1: a
        /// production ring does not hold it (a production process refuses to start with it), and
        /// its own key 1 does not match the signature.
        case developmentKey
        /// Not a token at all.
        case malformed
        /// A genuine token past its lifetime: refused where a client presents it (a lane event
        /// waiting in a backlog is not refused for age).
        case expired
        /// A genuine version 1 token (it does not bind the activity) whose activity only a client
        /// names: refused where a client presents it for an order our stores do not have; a lane
        /// record is our own account of the grant, so there it pays.
        case version1ByClient

        public var expectedReason: TokenError.Code {
            switch self {
            case .forgedSignature, .alteredOrder, .alteredUser, .alteredType, .alteredActivity, .replayedUnderAnotherOrder,
                 .developmentKey:
                .signatureMismatch
            case .alteredAmount: .amountMismatch
            case .unknownKey: .unknownKey
            case .malformed: .malformed
            case .expired: .expired
            case .version1ByClient: .activityUnbound
            }
        }

        /// Whether a lane event of this kind must be refused (expiry and activity provenance only
        /// matter where a client presents the token).
        public var refusedOnLanes: Bool { self != .expired && self != .version1ByClient }
    }

    public struct Forgery: Sendable {
        public var kind: Kind
        public var event: BonusEvent
        public var expectedReason: String { kind.expectedReason.rawValue }
    }

    /// The development key of `ops/config/dev.json`, as an attacker who read the repository has it.
    public static let developmentRing = try! TokenKeyRing(
        keys: [1: [UInt8](Data(base64Encoded: "QqUOGI2yVqOTq1lwoWZLaRWwICgGrJqPW6rd+vXhAxQ=")!)], currentKeyID: 1)
    static let foreignRing = try! TokenKeyRing(keys: [9: [UInt8](repeating: 7, count: 32)], currentKeyID: 9)

    /// One forgery of each kind (or only `kinds`), for `user`, with order ids `<prefix>-<kind>`.
    /// - Parameters:
    ///   - type: A cash-lane wallet type; `alteredType` switches it to `coin_lucky` (same lane).
    ///   - issuedAt: When the genuine tokens were minted (`expired` is minted long before).
    public static func corpus(prefix: String, user: String, type: String = "cash_red_envelope", amount: Int64 = 888,
                              activity: String = "fest", issuedAt: Date = Date(), kinds: [Kind] = Kind.allCases) -> [Forgery] {
        kinds.map { kind in
            let order = "\(prefix)-\(kind.rawValue)"
            func genuine(_ ring: TokenKeyRing = TestGrants.keyRing, at time: Date = issuedAt, version: RewardToken.Version = .v2)
                -> BonusEvent
            {
                var ring = ring
                ring.mintVersion = version
                let token = ring.mint(orderID: OrderID(order), userID: user, rewardType: type, amount: amount, activityID: activity,
                                      issuedAt: time)
                return BonusEvent(
                    orderID: OrderID(order), activity: Activity(id: activity, sceneID: "rain"),
                    user: User(id: user, deviceID: "device-\(user)", appID: "app"),
                    bonus: BonusContent(rewardType: type, amount: amount), lane: .cash,
                    grantedAtMilliseconds: Int64(time.timeIntervalSince1970 * 1000), token: token.encoded)
            }
            var event = genuine()
            switch kind {
            case .forgedSignature:
                var bytes = Base64URLForTests.decode(event.token)
                for index in 18..<bytes.count { bytes[index] = UInt8.random(in: 0...255) }
                event.token = Base64URLForTests.encode(bytes)
            case .alteredOrder:
                event.orderID = OrderID(order + "-x")
            case .alteredUser:
                event.user.id = user + "-x"
            case .alteredType:
                event.bonus.rewardType = "coin_lucky"
            case .alteredAmount:
                event.bonus.amount = amount * 10
            case .alteredActivity:
                event.activity.id = activity + "-other"
            case .replayedUnderAnotherOrder:
                event.orderID = OrderID("\(prefix)-replay-target")
            case .unknownKey:
                event = genuine(foreignRing)
            case .developmentKey:
                event = genuine(developmentRing)
            case .malformed:
                event.token = String(repeating: "A", count: 45) + "!"
            case .expired:
                event = genuine(at: issuedAt.addingTimeInterval(-400 * 86_400))
            case .version1ByClient:
                event = genuine(version: .v1)
            }
            return Forgery(kind: kind, event: event)
        }
    }
}

/// base64url for building forged tokens (the product's own codec is internal to RewardCore).
enum Base64URLForTests {
    static func decode(_ text: String) -> [UInt8] {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        standard += String(repeating: "=", count: (4 - standard.count % 4) % 4)
        return Data(base64Encoded: standard).map { [UInt8]($0) } ?? []
    }

    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
