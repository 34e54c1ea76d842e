import Foundation

/// One row of `reward_tokens` as the SDK records it (`recorded_by = 'sdk'`).
struct TokenRecord: Sendable, Equatable {
    var userID: String
    var orderID: String
    var token: String
    var activityID: String
    var sceneID: String
    var rewardType: String
    var amount: Int64
    var issuedAt: Date
    var expiresAt: Date
    var recordedAt: Date
    var grantedBy: String?
}

/// What the token recorder has done so far.
public struct TokenRecorderStatistics: Sendable, Hashable {
    /// `INSERT` statements executed (each carries many rows; retries count again).
    public var insertStatements: Int
    /// Rows the database accepted (rows already present are ignored and counted too).
    public var rowsWritten: Int
    /// Rows given up on: the queue was full, or every retry of their batch failed.
    public var rowsDropped: Int
    /// Rows waiting in the queue now.
    public var rowsQueued: Int
}
