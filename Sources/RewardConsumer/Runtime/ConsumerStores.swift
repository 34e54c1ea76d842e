public import MariaDB

/// The databases a lane consumer writes besides settlement's own stores.
public struct ConsumerStores: Sendable {
    /// `dead_letters` (by time bucket).
    public var deadLetters: MariaDBPool
    /// `reward_tokens` (by user id), for tokens the SDK failed to record; `nil` turns that off.
    public var tokens: MariaDBPool?

    public init(deadLetters: MariaDBPool, tokens: MariaDBPool?) {
        self.deadLetters = deadLetters
        self.tokens = tokens
    }
}
