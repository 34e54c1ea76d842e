/// The identifier rules of grants (letters, digits, `-`, `_`, `.`), for the ids the wallet takes
/// from outside: user ids, request ids.
enum Identifiers {
    static let maximumLength = 64

    static func isValid(_ value: String, maximum: Int = maximumLength) -> Bool {
        let bytes = value.utf8
        guard !bytes.isEmpty, bytes.count <= maximum else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                true
            default:
                false
            }
        }
    }

    /// - Throws: ``WalletError/Code/invalidUserID``.
    static func checkUser(_ user: String) throws(WalletError) {
        guard isValid(user) else {
            throw WalletError(.invalidUserID, "user id must be 1-\(maximumLength) letters, digits, '-', '_' or '.'")
        }
    }
}
