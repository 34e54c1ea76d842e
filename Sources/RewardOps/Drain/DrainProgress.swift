/// Where a running drain stands; the command prints it as a progress line and the final summary.
public struct DrainProgress: Sendable, Codable {
    /// Records planned (the plan's total).
    public var total: Int64
    /// Records handled so far: settled, parked or skipped by the filters.
    public var done: Int64 = 0
    /// Settlement outcomes of the selected records.
    public var settlement = SettlementTally()
    /// Records that were not grants we can settle (undecodable, bad token, wrong lane): dead-lettered.
    public var rejected = 0
    /// Records outside the reward-type or time filter: left for the consumers.
    public var skipped = 0
    public var elapsedSeconds: Double = 0

    public init(total: Int64) { self.total = total }

    /// Records per second so far.
    public var rate: Double { elapsedSeconds > 0 ? Double(done) / elapsedSeconds : 0 }

    /// Seconds left at the rate so far; `nil` before there is a rate.
    public var etaSeconds: Double? {
        rate > 0 ? Double(max(0, total - done)) / rate : nil
    }

    /// `drain: 25000/50000 50.0% 8120/s ETA 3s (credited 24990, duplicates 10, parked 0, skipped 0)`.
    public var line: String {
        let percent = total > 0 ? Double(done) * 100 / Double(total) : 100
        let eta = etaSeconds.map { Formatting.duration(seconds: $0) } ?? "-"
        let parked = settlement.held + settlement.conflicts + settlement.permanent + rejected
        return "drain: \(done)/\(total) \(Formatting.fixed(percent, 1))% \(Int(rate.rounded()))/s ETA \(eta) "
            + "(credited \(settlement.credited), duplicates \(settlement.alreadyCredited), parked \(parked), skipped \(skipped))"
    }
}

/// How a drain ended.
public struct DrainSummary: Sendable, Codable {
    public enum Ending: String, Sendable, Codable {
        /// Every planned record was handled.
        case completed
        /// Stopped on request (Ctrl-C); the checkpoint is where it stopped.
        case interrupted
        /// Settlement kept failing (a ledger or the database down); the checkpoint is before the first failure.
        case stalled
    }

    public var ending: Ending
    public var progress: DrainProgress
    /// Whether the lane's consumer group offsets moved past what was drained, and if not, why.
    public var groupOffsets: String
    public var detail: String?

    public var lines: [String] {
        let p = progress
        var lines = [
            "drain \(ending.rawValue): \(p.done) of \(p.total) records in \(Formatting.duration(seconds: p.elapsedSeconds))",
            "  credited \(p.settlement.credited), already credited \(p.settlement.alreadyCredited), held for budget \(p.settlement.held), "
                + "conflicts \(p.settlement.conflicts), refused \(p.settlement.permanent), rejected \(p.rejected), skipped \(p.skipped)",
            "  group offsets: \(groupOffsets)",
        ]
        if let detail { lines.append("  \(detail)") }
        return lines
    }
}
