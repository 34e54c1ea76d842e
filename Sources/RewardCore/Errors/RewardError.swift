/// Why a grant (or a later step) was refused: a stable code callers can switch on and a message
/// a person can act on. Messages never contain personal data beyond the field's name.
public struct RewardError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        // One code per field that a grant carries.
        public static let invalidActivityID = Code(rawValue: "invalid_activity_id")
        public static let invalidSceneID = Code(rawValue: "invalid_scene_id")
        public static let invalidUserID = Code(rawValue: "invalid_user_id")
        public static let invalidDeviceID = Code(rawValue: "invalid_device_id")
        public static let invalidAppID = Code(rawValue: "invalid_app_id")
        public static let invalidOrderID = Code(rawValue: "invalid_order_id")
        public static let invalidRewardType = Code(rawValue: "invalid_reward_type")
        public static let unknownRewardType = Code(rawValue: "unknown_reward_type")
        /// The type's degradation switch is off: a friendly refusal on this path only.
        public static let rewardTypeDisabled = Code(rawValue: "reward_type_disabled")
        public static let amountOutOfRange = Code(rawValue: "amount_out_of_range")
        public static let invalidExtension = Code(rawValue: "invalid_extension")
        public static let extensionTooLarge = Code(rawValue: "extension_too_large")
        /// The granting service's id is not an identifier.
        public static let invalidGrantedBy = Code(rawValue: "invalid_granted_by")

        // The grant could not be accepted for a reason other than its fields.
        /// Neither cluster acknowledged and the local spool could not take the event either.
        public static let notDurable = Code(rawValue: "not_durable")
        /// The client is shutting down.
        public static let shuttingDown = Code(rawValue: "shutting_down")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
