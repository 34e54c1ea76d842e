import Foundation
import RewardCore
import RewardTestKit
import RewardWallet

/// Tokens a client presents that must never turn into money: every kind of ``ForgedGrants``, as
/// presented by `user`, with the reason each must be refused with.
enum BadTokens {
    typealias Kind = ForgedGrants.Kind

    struct Bad {
        var kind: Kind
        var token: PresentedToken
        var expectedReason: String { kind.expectedReason.rawValue }
    }

    static func make(user: String, count: Int) -> [Bad] {
        (0..<count).map { index in
            let kind = Kind.allCases[index % Kind.allCases.count]
            // "Another user's token": minted for a victim, presented by `user`.
            let owner = kind == .alteredUser ? "victim-\(index)" : user
            let forgery = ForgedGrants.corpus(prefix: "bad-\(index)", user: owner, kinds: [kind])[0]
            return Bad(kind: kind, token: PresentedToken(forgery.event))
        }
    }
}
