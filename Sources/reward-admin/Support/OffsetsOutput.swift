import Foundation
import RewardOps

/// Tables and lines of `reward-admin offsets`.
enum OffsetsOutput {
    struct Outcome: Encodable {
        var plan: OffsetResetPlan
        var executed: Bool
        var after: GroupOffsetsReport?
    }

    static func show(_ report: GroupOffsetsReport) {
        emit("offsets of \(report.group) on \(report.cluster)/\(report.topic)")
        var table = TextTable(["PARTITION", "COMMITTED", "LOG-START", "LOG-END", "LAG", "GONE", "STATE"])
        for p in report.partitions {
            table.add(["\(p.partition)", p.committed.map(String.init) ?? "-", "\(p.logStart)", "\(p.logEnd)", "\(p.lag)", "\(p.gone)",
                       state(p)])
        }
        emit(table.text)
        for p in report.outOfRange { emit(detail(p)) }
        report.membership.lines.forEach { emit($0) }
        if report.outOfRange.isEmpty {
            emit("no partition out of range; lag \(report.lag)")
        } else {
            emit("\(report.outOfRange.count) partition(s) out of range: the lane's consumers stop on them (offsetOutOfRange) "
                + "until the group is reset; see ops/runbook.md, \"A lane halted\"")
        }
    }

    static func preview(_ plan: OffsetResetPlan, preview: Bool) {
        emit("reset \(plan.group) on \(plan.cluster)/\(plan.topic) to \(plan.target) (\(plan.selection))")
        guard !plan.moves.isEmpty else {
            return emit("nothing selected: no partition of \(plan.topic) matches (\(plan.selection))")
        }
        var table = TextTable(["PARTITION", "COMMITTED", "LOG-START", "LOG-END", "NEW", "SKIPPED", "RE-READ", "GONE", "STATE"])
        for move in plan.moves {
            let p = move.current
            table.add(["\(p.partition)", p.committed.map(String.init) ?? "-", "\(p.logStart)", "\(p.logEnd)", "\(move.newOffset)",
                       "\(move.skipped)", "\(move.reread)", "\(p.gone)", state(p)])
        }
        emit(table.text)
        plan.membership.lines.forEach { emit($0) }
        let counts = "\(plan.skipped) record(s) still in the log skipped, \(plan.reread) read again"
            + (plan.gone > 0 ? "; \(plan.gone) record(s) were already gone below the log start (reconcile their hours)" : "")
        if plan.changing.isEmpty {
            emit("nothing to change: the group already reads from these offsets")
        } else if preview {
            emit("preview only: \(plan.changing.count) partition(s) would move; \(counts); pass --execute to commit")
        } else {
            emit("moving \(plan.changing.count) partition(s); \(counts)")
        }
    }

    private static func state(_ p: GroupPartitionOffsets) -> String {
        switch p.position {
        case .neverCommitted: "never committed"
        case .inRange: "ok"
        case .belowLogStart: "OUT OF RANGE (below log start)"
        case .aboveLogEnd: "OUT OF RANGE (above log end)"
        }
    }

    private static func detail(_ p: GroupPartitionOffsets) -> String {
        let committed = p.committed.map(String.init) ?? "-"
        if p.position == .aboveLogEnd {
            return "partition \(p.partition): committed offset \(committed) is above the log end \(p.logEnd): the log was truncated or recreated"
        }
        let oldest = p.logStartTimeMilliseconds.map {
            "; the oldest record left was written \(Formatting.timestamp(Date(timeIntervalSince1970: Double($0) / 1000)))"
        } ?? ""
        return "partition \(p.partition): committed offset \(committed) is below the log start \(p.logStart): "
            + "\(p.gone) record(s) the group never read are gone\(oldest)"
    }
}
