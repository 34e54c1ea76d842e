import Foundation

/// The reward types a deployment knows, loaded from configuration.
public struct RewardCatalog: Sendable, Hashable {
    public private(set) var types: [String: RewardType]

    /// - Throws: ``ConfigurationError`` for a repeated id, an empty or inverted amount range, or a
    ///   type id that a grant could never carry.
    public init(types: [RewardType]) throws(ConfigurationError) {
        var byID: [String: RewardType] = [:]
        for type in types {
            guard byID[type.id] == nil else {
                throw ConfigurationError(code: "catalog.duplicate_type", message: "reward type \(type.id) is declared twice")
            }
            do {
                try GrantValidation.identifier(type.id, "reward type", .invalidRewardType)
            } catch {
                throw ConfigurationError(code: "catalog.invalid_type_id", message: "reward type '\(type.id)': \(error.message)")
            }
            guard type.minimumAmount >= 1, type.minimumAmount <= type.maximumAmount else {
                throw ConfigurationError(
                    code: "catalog.invalid_amount_range",
                    message: "reward type \(type.id): need 1 <= minimumAmount <= maximumAmount, got \(type.minimumAmount)...\(type.maximumAmount)")
            }
            byID[type.id] = type
        }
        self.types = byID
    }

    public subscript(id: String) -> RewardType? { types[id] }

    /// The type of `bonus`, when it is known, enabled, and its amount is in range.
    /// - Throws: ``RewardError`` with ``RewardError/Code/unknownRewardType``,
    ///   ``RewardError/Code/rewardTypeDisabled`` or ``RewardError/Code/amountOutOfRange``.
    public func validate(_ bonus: BonusContent) throws(RewardError) -> RewardType {
        guard let type = types[bonus.rewardType] else {
            throw RewardError(.unknownRewardType, "reward type '\(bonus.rewardType)' is not in the catalog")
        }
        guard type.enabled else {
            throw RewardError(.rewardTypeDisabled, "reward type \(type.id) is switched off for now")
        }
        guard bonus.amount >= type.minimumAmount, bonus.amount <= type.maximumAmount else {
            throw RewardError(.amountOutOfRange,
                              "amount \(bonus.amount) of \(type.id) is outside \(type.minimumAmount)...\(type.maximumAmount) \(type.unit)")
        }
        return type
    }

    /// Turns a type on or off (the degradation switch) without touching the others.
    public mutating func setEnabled(_ enabled: Bool, for id: String) {
        types[id]?.enabled = enabled
    }

    /// Reads `{"rewardTypes": [ ... ]}` from a JSON file.
    public static func load(from path: String) throws(ConfigurationError) -> RewardCatalog {
        struct File: Decodable { var rewardTypes: [RewardType] }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(code: "catalog.missing", message: "no reward type catalog at \(path)")
        }
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw ConfigurationError(code: "catalog.unreadable", message: "\(path): \(error)")
        }
        return try RewardCatalog(types: file.rewardTypes)
    }
}
