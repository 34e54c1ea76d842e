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
        /// An operator switched the activity off: a friendly refusal for this activity only.
        public static let activityDisabled = Code(rawValue: "activity_disabled")
        public static let amountOutOfRange = Code(rawValue: "amount_out_of_range")
        public static let invalidExtension = Code(rawValue: "invalid_extension")
        public static let extensionTooLarge = Code(rawValue: "extension_too_large")
        /// The granting service's id is not an identifier.
        public static let invalidGrantedBy = Code(rawValue: "invalid_granted_by")

        // The grant could not be accepted for a reason other than its fields.
        /// Neither cluster acknowledged and the local spool could not take the event in time: the
        /// grant may still land; retry with the same order id. The error carries the token.
        public static let notDurable = Code(rawValue: "not_durable")
        /// Every cluster refused the event for good (too large, a topic it may not write): nothing
        /// was produced or spooled and nothing will be credited. The error carries a token that
        /// expired when it was issued: proof of the attempt, never of a grant.
        public static let deliveryRefused = Code(rawValue: "delivery_refused")
        /// ``RewardClient/start(timeout:)`` reached no cluster in time.
        public static let notReady = Code(rawValue: "not_ready")
        /// The client is shutting down.
        public static let shuttingDown = Code(rawValue: "shutting_down")
    }

    public var code: Code
    public var message: String
    /// The grant's token where the error comes with one (``Code/notDurable``, ``Code/deliveryRefused``).
    public var token: RewardToken?

    public init(_ code: Code, _ message: String, token: RewardToken? = nil) {
        self.code = code
        self.message = message
        self.token = token
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
