/// The database steps of a settlement, for fault injection and logs.
public enum SettlementStep: String, Sendable, Hashable, CaseIterable {
    /// Claiming order ids in `order_claims` (and recording conflicts).
    case claim
    /// Reserving budget in `budgets` / `budget_reservations`.
    case budget
    /// A built-in ledger's credit transaction (wallet, goods).
    case ledger
    /// Marking claims credited.
    case confirm
}

/// Hooks around every settlement transaction's commit, for tests that inject faults: kill the
/// connection right before `COMMIT` (the server rolls back, the client sees an unknown outcome),
/// or throw after a real commit as if its answer had been lost. Empty in production.
public struct TransactionHooks: Sendable {
    /// Runs inside the transaction, after its statements and right before `COMMIT`, with the step
    /// and the connection's server id (for `KILL CONNECTION`).
    public var beforeCommit: (@Sendable (_ step: SettlementStep, _ connectionID: UInt64) async -> Void)?
    /// Runs right after a successful `COMMIT`; an error thrown here is treated as that commit's
    /// error (throw `MariaDBError(.commitOutcomeUnknown, …)` to simulate a lost answer).
    public var afterCommit: (@Sendable (_ step: SettlementStep) async throws -> Void)?

    /// No hooks.
    public init() {}
}
