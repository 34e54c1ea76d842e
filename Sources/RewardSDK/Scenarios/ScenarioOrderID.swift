public import RewardCore

/// Builds the facades' global order ids: a scenario prefix and the grant's parts joined by `:`.
///
/// `:` is allowed in order ids and forbidden in every part (parts are identifiers: letters,
/// digits, `-`, `_`, `.`; numbers are decimal and ≥ 0), so an order id splits back into its
/// parts unambiguously and a retried grant always yields the same order id.
///
/// | scenario | order id |
/// |---|---|
/// | red envelope rain | `rain:<activity>:<round>:<user>:<drop>` |
/// | card collection | `cards:<activity>:<user>:<draw>` |
/// | fireworks | `fireworks:<activity>:<show>:<user>:<prize>` |
public enum ScenarioOrderID {
    /// One part of an order id.
    public enum Part: Sendable {
        case identifier(String, name: String)
        case number(Int, name: String)
    }

    /// Joins `prefix` and `parts` with `:`.
    /// - Throws: `RewardError` `RewardError/Code/invalidOrderID` when a part is empty, holds
    ///   a character other than letters, digits, `-`, `_`, `.`, or a number is negative; and when
    ///   the result is longer than `GrantValidation/maximumOrderIDLength`.
    public static func make(_ prefix: String, _ parts: [Part]) throws(RewardError) -> OrderID {
        var text = prefix
        for part in parts {
            text += ":"
            switch part {
            case .identifier(let value, let name):
                guard !value.isEmpty, value.utf8.allSatisfy(isPartByte) else {
                    throw RewardError(.invalidOrderID, "\(name) must be 1 or more letters, digits, '-', '_' or '.' (no ':')")
                }
                text += value
            case .number(let value, let name):
                guard value >= 0 else { throw RewardError(.invalidOrderID, "\(name) must not be negative") }
                text += String(value)
            }
        }
        guard text.utf8.count <= GrantValidation.maximumOrderIDLength else {
            throw RewardError(.invalidOrderID, "the order id would be longer than \(GrantValidation.maximumOrderIDLength) characters")
        }
        return OrderID(text)
    }

    private static func isPartByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }
}
