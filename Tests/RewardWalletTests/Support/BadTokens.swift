import Foundation
import RewardCore
import RewardTestKit
import RewardWallet

/// Tokens that must never turn into money, one kind per way of cheating, with the reason each
/// must be refused with.
enum BadTokens {
    enum Kind: CaseIterable, CustomStringConvertible {
        case forged, editedAmount, otherUser, expired, unknownKey, replayedUnderAnotherOrder, garbage

        var expectedReason: String {
            switch self {
            case .forged, .otherUser, .replayedUnderAnotherOrder: TokenError.Code.signatureMismatch.rawValue
            case .editedAmount: TokenError.Code.amountMismatch.rawValue
            case .expired: TokenError.Code.expired.rawValue
            case .unknownKey: TokenError.Code.unknownKey.rawValue
            case .garbage: TokenError.Code.malformed.rawValue
            }
        }

        var description: String { "\(self)" }
    }

    struct Bad {
        var kind: Kind
        var token: PresentedToken
        var expectedReason: String { kind.expectedReason }
    }

    static let shortLivedRing = try! TokenKeyRing(keys: [1: [UInt8](repeating: 42, count: 32)], currentKeyID: 1, lifetime: .seconds(60))
    static let foreignRing = try! TokenKeyRing(keys: [9: [UInt8](repeating: 7, count: 32)], currentKeyID: 9)

    static func make(user: String, count: Int) -> [Bad] {
        (0..<count).map { index in
            let kind = Kind.allCases[index % Kind.allCases.count]
            let order = "bad-\(index)"
            let now = Date()
            func presented(_ grant: BonusEvent) -> PresentedToken { PresentedToken(grant) }
            switch kind {
            case .forged:
                var bytes: [UInt8] = [1, 1] + (0..<32).map { _ in UInt8.random(in: 0...255) }
                bytes[2] = 0x6a  // a plausible issue time
                var token = presented(WalletHarness.freshGrant(order: order, user: user, amount: 500))
                token.token = base64url(bytes)
                return Bad(kind: kind, token: token)
            case .editedAmount:
                var token = presented(WalletHarness.freshGrant(order: order, user: user, amount: 100))
                token.amount = 88_000
                return Bad(kind: kind, token: token)
            case .otherUser:
                return Bad(kind: kind, token: presented(WalletHarness.freshGrant(order: order, user: "victim-\(index)", amount: 500)))
            case .expired:
                return Bad(kind: kind, token: presented(WalletHarness.freshGrant(
                    order: order, user: user, amount: 500, ring: shortLivedRing, issuedAt: now.addingTimeInterval(-3_600))))
            case .unknownKey:
                return Bad(kind: kind, token: presented(WalletHarness.freshGrant(order: order, user: user, amount: 500, ring: foreignRing)))
            case .replayedUnderAnotherOrder:
                var token = presented(WalletHarness.freshGrant(order: order, user: user, amount: 500))
                token.orderID = "\(order)-again"
                return Bad(kind: kind, token: token)
            case .garbage:
                var token = presented(WalletHarness.freshGrant(order: order, user: user, amount: 500))
                token.token = index.isMultiple(of: 2) ? "garbage-\(index)" : String(repeating: "*", count: 46)
                return Bad(kind: kind, token: token)
            }
        }
    }

    static func base64url(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
