public import RewardCore
import RewardSettlement

/// Settles parked dead letters again through the engine, after a person fixed the cause (raised
/// a budget, brought a ledger back, enabled a reward type). Every replay is counted on its row;
/// a dead letter replayed `maximumReplays` times is left alone, so a poison record cannot loop.
///
/// Each record's token is verified again, as a consumer would, whatever reason it was parked
/// with: a forged, altered or unknown-key token is refused with the token's reason and never
/// reaches the engine (which takes only verified grants anyway).
public struct DeadLetterReplayer: Sendable {
    public struct Result: Sendable, Codable {
        public var replayed = 0
        /// Settled now (credited, or found credited already).
        public var settled = 0
        public var tally = SettlementTally()
        /// The payload is not an event we can read: counted, left parked.
        public var undecodable = 0
        /// At the replay limit: not tried.
        public var atLimit = 0

        public init() {}
    }

    public let store: DeadLetterStore
    public let keyRing: TokenKeyRing
    public let settler: RetryingSettler
    public var maximumReplays: Int

    public init(store: DeadLetterStore, keyRing: TokenKeyRing, settler: RetryingSettler, maximumReplays: Int = 3) {
        self.store = store
        self.keyRing = keyRing
        self.settler = settler
        self.maximumReplays = maximumReplays
    }

    /// What a replay would do with one dead letter, decided exactly as ``replay(_:)`` decides it.
    public enum Decision: Sendable {
        /// Replayed or discarded already: a replay skips it.
        case notParked
        /// Replayed `maximumReplays` times: left alone.
        case atLimit
        /// The payload is not an event we can read: counted, left parked.
        case undecodable(EventDecodingError)
        /// Its token does not verify for the grant: counted, left parked, never settled.
        case refused(TokenError)
        /// A genuine grant: it goes to the engine (a credited order answers already credited).
        case settle(VerifiedGrant)
    }

    /// Decides one dead letter without touching any store: what a replay preview shows.
    /// - Parameters:
    ///   - letter: The dead letter with its payload.
    ///   - keyRing: The ring its token must verify against.
    ///   - maximumReplays: Replays after which it is left alone.
    public static func decide(_ letter: DeadLetter, keyRing: TokenKeyRing, maximumReplays: Int) -> Decision {
        guard letter.state == "parked" else { return .notParked }
        guard letter.replayCount < maximumReplays else { return .atLimit }
        let event: BonusEvent
        do { event = try BonusEvent.decode(letter.payload) } catch { return .undecodable(error) }
        // The payload is the lane record as the SDK produced it; expiry does not apply to a backlog.
        do { return .settle(try keyRing.verify(event, activityFrom: .ourRecords, now: nil)) } catch { return .refused(error) }
    }

    /// Replays the parked dead letters among `letters`.
    public func replay(_ letters: [DeadLetter]) async throws -> Result {
        var result = Result()
        var grants: [(DeadLetter, VerifiedGrant)] = []
        for letter in letters {
            switch Self.decide(letter, keyRing: keyRing, maximumReplays: maximumReplays) {
            case .notParked:
                continue
            case .atLimit:
                result.atLimit += 1
            case .undecodable(let error):
                result.replayed += 1
                result.undecodable += 1
                try await store.recordReplay(id: letter.id, settled: false, outcome: "\(error.code.rawValue): \(error.message)")
            case .refused(let error):
                result.replayed += 1
                result.tally.refuse(error)
                try await store.recordReplay(id: letter.id, settled: false, outcome: "refused: \(error.code.rawValue): \(error.message)")
            case .settle(let grant):
                grants.append((letter, grant))
            }
        }
        let outcomes = await settler.settle(grants.map(\.1), source: .replay)
        for ((letter, _), outcome) in zip(grants, outcomes) {
            result.replayed += 1
            result.tally.count(outcome)
            if outcome.isSettled { result.settled += 1 }
            try await store.recordReplay(id: letter.id, settled: outcome.isSettled, outcome: outcome.replayDescription)
        }
        return result
    }
}

extension SettlementOutcome {
    var replayDescription: String {
        switch self {
        case .credited: "credited"
        case .alreadyCredited: "already_credited"
        case .conflict(let conflict): "order_id_conflict: \(conflict.differingFields.joined(separator: ","))"
        case .heldForBudget(let message): "held_for_budget: \(message)"
        case .retriable(let message): "retriable: \(message)"
        case .permanent(let code, let message): "\(code): \(message)"
        }
    }
}
