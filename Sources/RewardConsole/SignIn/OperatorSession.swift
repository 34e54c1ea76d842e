/// A signed-in operator: the random id their cookie carries, and the token every form of theirs
/// must send back (a page of another site can make the browser send the cookie, not read the token).
public struct OperatorSession: Sendable, Hashable {
    public let id: String
    public let operatorName: String
    public let csrfToken: String
    let expires: ContinuousClock.Instant

    /// Whether a form's `csrf` field is this session's token.
    public func accepts(csrf: String?) -> Bool {
        guard let csrf else { return false }
        return ConstantTime.equal(Array(csrf.utf8), Array(csrfToken.utf8))
    }
}

/// Random identifiers: 32 bytes from the system's generator, as 64 hex digits (cookie- and form-safe).
enum RandomToken {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return Hex.string((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}
