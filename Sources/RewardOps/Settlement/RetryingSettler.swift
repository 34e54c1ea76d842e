public import RewardCore
public import RewardSettlement

/// Settles through the engine and retries what answered retriable, a few times with backoff,
/// so a brief ledger hiccup does not stop an admin drain, replay or repair. What still fails is
/// returned as retriable for the caller to stop on; nothing is skipped.
public struct RetryingSettler: Sendable {
    public let engine: SettlementEngine
    public var attempts: Int
    public var backoff: Duration

    public init(engine: SettlementEngine, attempts: Int = 5, backoff: Duration = .milliseconds(200)) {
        self.engine = engine
        self.attempts = max(1, attempts)
        self.backoff = backoff
    }

    /// One outcome per grant, in input order.
    public func settle(_ grants: [VerifiedGrant], source: SettlementSource) async -> [SettlementOutcome] {
        var outcomes = await engine.settle(grants.map { SettlementRequest(grant: $0, source: source) })
        var delay = backoff
        for _ in 1..<attempts {
            let again = outcomes.indices.filter { if case .retriable = outcomes[$0] { true } else { false } }
            guard !again.isEmpty, !Task.isCancelled else { break }
            try? await Task.sleep(for: delay)
            delay *= 2
            let retried = await engine.settle(again.map { SettlementRequest(grant: grants[$0], source: source) })
            for (index, outcome) in zip(again, retried) { outcomes[index] = outcome }
        }
        return outcomes
    }
}

/// Counts of what settling did, shared by drains, replays and repairs.
public struct SettlementTally: Sendable, Codable, Hashable {
    public var credited = 0
    public var alreadyCredited = 0
    public var held = 0
    public var conflicts = 0
    public var permanent = 0
    public var retriable = 0
    /// Never reached the engine: the grant's token did not verify, by reason (`token_signature_mismatch`, ...).
    public var refused: [String: Int] = [:]

    public init() {}

    /// Counts a grant whose token did not verify.
    public mutating func refuse(_ error: TokenError) {
        refused[error.code.rawValue, default: 0] += 1
    }

    /// Grants refused before the engine, whatever the reason.
    public var refusedTotal: Int { refused.values.reduce(0, +) }

    public mutating func count(_ outcome: SettlementOutcome) {
        switch outcome {
        case .credited: credited += 1
        case .alreadyCredited: alreadyCredited += 1
        case .heldForBudget: held += 1
        case .conflict: conflicts += 1
        case .permanent: permanent += 1
        case .retriable: retriable += 1
        }
    }

    public mutating func add(_ other: SettlementTally) {
        credited += other.credited
        alreadyCredited += other.alreadyCredited
        held += other.held
        conflicts += other.conflicts
        permanent += other.permanent
        retriable += other.retriable
        refused.merge(other.refused, uniquingKeysWith: +)
    }
}

extension SettlementOutcome {
    /// The dead-letter reason a consumer would park this outcome with; `nil` when settled or retriable.
    var deadLetterReason: (code: String, message: String)? {
        switch self {
        case .credited, .alreadyCredited, .retriable: nil
        case .conflict: ("order_id_conflict", "order id reused with another user, type or amount; refused and recorded")
        case .heldForBudget(let message): ("held_for_budget", message)
        case .permanent(let code, let message): (code, message)
        }
    }
}
