/// The rules a grant's fields must follow, each failure with its own code.
///
/// Identifiers are ASCII so they index cleanly, route deterministically and never carry
/// look-alike characters; order ids may also contain `:` (the facades' separator), which user,
/// activity and scene ids may not, so a facade's order id can always be split back.
public enum GrantValidation {
    public static let maximumIDLength = 64
    public static let maximumDeviceIDLength = 128
    public static let maximumOrderIDLength = 128
    public static let maximumExtensions = 16
    public static let maximumExtensionKeyLength = 32
    public static let maximumExtensionValueBytes = 256
    public static let maximumExtensionTotalBytes = 2048
    /// What order ids may hold beyond identifier characters (built once: this runs for every grant).
    static let orderIDExtra: Set<UInt8> = [UInt8(ascii: ":")]

    /// Checks every field except the reward type against the catalog (see ``RewardCatalog/validate(_:)``).
    public static func validate(activity: Activity, user: User, bonus: BonusContent, orderID: OrderID) throws(RewardError) {
        try identifier(activity.id, "activity id", .invalidActivityID)
        try identifier(activity.sceneID, "scene id", .invalidSceneID)
        try identifier(user.id, "user id", .invalidUserID)
        try printable(user.deviceID, "device id", .invalidDeviceID, maximum: maximumDeviceIDLength)
        try identifier(user.appID, "app id", .invalidAppID)
        try identifier(orderID.rawValue, "order id", .invalidOrderID, maximum: maximumOrderIDLength, extra: orderIDExtra)
        try identifier(bonus.rewardType, "reward type", .invalidRewardType)
        try extensions(bonus.extensions)
    }

    static func identifier(
        _ value: String, _ name: String, _ code: RewardError.Code, maximum: Int = maximumIDLength, extra: Set<UInt8> = []
    ) throws(RewardError) {
        guard !value.isEmpty else { throw RewardError(code, "\(name) is required") }
        let bytes = value.utf8
        guard bytes.count <= maximum else { throw RewardError(code, "\(name) is longer than \(maximum) characters") }
        guard allBytes(of: value, { isIdentifierByte($0) || extra.contains($0) }) else {
            let allowed = extra.isEmpty ? "" : " and \(String(decoding: extra.sorted(), as: UTF8.self))"
            throw RewardError(code, "\(name) may contain only letters, digits, '-', '_', '.'\(allowed)")
        }
    }

    static func identifier(_ value: String, _ name: String, _ code: RewardError.Code, maximum: Int = maximumIDLength, extra: String)
        throws(RewardError)
    {
        try identifier(value, name, code, maximum: maximum, extra: Set(extra.utf8))
    }

    static func printable(_ value: String, _ name: String, _ code: RewardError.Code, maximum: Int) throws(RewardError) {
        guard !value.isEmpty else { throw RewardError(code, "\(name) is required") }
        guard value.utf8.count <= maximum else { throw RewardError(code, "\(name) is longer than \(maximum) bytes") }
        guard allBytes(of: value, { $0 > 0x20 && $0 < 0x7F }) else {
            throw RewardError(code, "\(name) may contain only printable ASCII without spaces")
        }
    }

    /// Whether every UTF-8 byte of `value` is allowed. Every grant checks seven identifiers, so a
    /// native string's bytes are read in place rather than through the UTF-8 view's iterator.
    private static func allBytes(of value: String, _ allowed: (UInt8) -> Bool) -> Bool {
        value.utf8.withContiguousStorageIfAvailable { $0.allSatisfy(allowed) } ?? value.utf8.allSatisfy(allowed)
    }

    static func extensions(_ extensions: [String: String]) throws(RewardError) {
        guard extensions.count <= maximumExtensions else {
            throw RewardError(.extensionTooLarge, "at most \(maximumExtensions) extension entries, got \(extensions.count)")
        }
        var total = 0
        for (key, value) in extensions {
            guard !key.isEmpty, key.utf8.count <= maximumExtensionKeyLength,
                  key.utf8.allSatisfy({ isIdentifierByte($0) })
            else {
                throw RewardError(.invalidExtension,
                                  "extension keys are 1-\(maximumExtensionKeyLength) letters, digits, '-', '_' or '.'")
            }
            guard value.utf8.count <= maximumExtensionValueBytes else {
                throw RewardError(.extensionTooLarge, "extension '\(key)' is longer than \(maximumExtensionValueBytes) bytes")
            }
            guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw RewardError(.invalidExtension, "extension '\(key)' contains control characters")
            }
            total += key.utf8.count + value.utf8.count
        }
        guard total <= maximumExtensionTotalBytes else {
            throw RewardError(.extensionTooLarge, "extensions take \(total) bytes, at most \(maximumExtensionTotalBytes)")
        }
    }

    /// Whether `value` is a 1–64 character identifier (letters, digits, `-`, `_`, `.`).
    public static func isIdentifier(_ value: String, maximum: Int = maximumIDLength) -> Bool {
        !value.isEmpty && value.utf8.count <= maximum && value.utf8.allSatisfy(isIdentifierByte)
    }

    /// Whether `value` is a valid order id: 1–128 identifier characters or `:`.
    public static func isOrderID(_ value: String) -> Bool {
        !value.isEmpty && value.utf8.count <= maximumOrderIDLength
            && value.utf8.allSatisfy { isIdentifierByte($0) || orderIDExtra.contains($0) }
    }

    @inline(__always)
    static func isIdentifierByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }
}
