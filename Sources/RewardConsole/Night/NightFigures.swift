import Foundation
import RewardOps
import RewardSettlement
import RewardStores

/// A source that could not be read: its panel says why, the rest of the page still shows.
struct SourceFailure: Error, Sendable {
    var message: String

    init(_ error: any Error) { message = "\(error)" }
    init(message: String) { self.message = message }
}

typealias Figure<T: Sendable> = Result<T, SourceFailure>

/// Lag of one cluster, lane and reward type (`*`: the whole lane), summed over partitions.
struct LagTotal: Sendable, Hashable {
    var cluster: String
    var lane: String
    var rewardType: String
    var lag: Int64
}

struct LagFigures: Sendable {
    var totals: [LagTotal]
    var etas: [LaneETA]
    /// Clusters whose lag could not be read (their lag is missing from the ETAs).
    var failedClusters: [(cluster: String, failure: SourceFailure)]
}

/// Credits per second of one reward type against its fleet limit.
struct TypeRate: Sendable, Hashable {
    var rewardType: String
    var lane: String
    var creditsPerSecond: Double
    /// `nil`: not limited.
    var limit: Double?
    var sharedDownstream: String?
}

struct RateFigures: Sendable {
    var types: [TypeRate]
    var shared: [(name: String, rate: Double, types: [String])]
    var windowSeconds: Int
}

struct DeadLetterFigures: Sendable {
    var byReason: [DeadLetterReasonCount]
    /// The newest parked ones: what is arriving now (the reasons' table has the oldest time).
    var newest: [DeadLetter]
}

struct ReconciliationFigures: Sendable {
    var run: ReconciliationRun?
    var findings: [StoredFinding]
}

struct SwitchFigures: Sendable {
    var state: ControlState
    var history: [ControlChange]
    /// Controls shown even at their defaults: every reward type's switch and every limited rate.
    var keys: [ControlKey]
}

/// Everything the page shows, read at one moment.
struct NightFigures: Sendable {
    var takenAt: Date
    var lag: Figure<LagFigures>
    var rates: Figure<RateFigures>
    var consumers: Figure<[ConsumerLease]>
    var daemons: [DaemonReading]
    var deadLetters: Figure<DeadLetterFigures>
    var budgets: Figure<[BudgetStatus]>
    var reconciliation: Figure<ReconciliationFigures>
    var switches: Figure<SwitchFigures>
}

extension Result where Failure == SourceFailure {
    /// Runs `body`, keeping its error as the panel's failure.
    static func reading(_ body: () async throws -> Success) async -> Result {
        do { return .success(try await body()) } catch { return .failure(SourceFailure(error)) }
    }
}
