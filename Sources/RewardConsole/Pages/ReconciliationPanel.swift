import RewardOps

/// The last reconciliation run: what it compared, and the differences it found.
struct ReconciliationPanel {
    let figures: ReconciliationFigures

    var html: HTML {
        guard let run = figures.run else { return "<p class=\"quiet\">no reconciliation has run yet</p>" }
        let state: HTML = run.state == "clean" ? "<span class=\"ok\">clean</span>" : "<span class=\"bad\">\(run.state)</span>"
        let rows = figures.findings.map { stored -> HTML in
            let finding = stored.finding
            return .row([
                "<td data-figure=\"finding-kind\" data-key=\"\(stored.findingID)\">\(finding.kind.rawValue)</td>",
                .cell(finding.orderID ?? "-"), .cell(finding.activityID ?? "-"), .cell(finding.rewardType ?? "-"),
                .cell(finding.expectedAmount.map(String.init) ?? "-", numeric: true),
                .cell(finding.actualAmount.map(String.init) ?? "-", numeric: true),
                .cell(finding.detail), .cell(stored.repairedAt.map(Formatting.timestamp) ?? ""),
            ])
        }
        let shown = Int64(figures.findings.count) < run.findings ? " (first \(figures.findings.count) shown)" : ""
        let headers = ["kind", "order", "activity", "type", "expected", "actual", "detail", "repaired"]
        return """
            <p>run <b data-figure="reconciliation-run" data-key="last">\(run.runID)</b>: \(state), \
            \(Formatting.timestamp(run.rangeStart)) to \(Formatting.timestamp(run.rangeEnd)), \
            finished \(run.finishedAt.map(Formatting.timestamp) ?? "not yet"); grants \(run.grants) (\(run.grantedTotal)), \
            credits \(run.credits) (\(run.creditedTotal)); \
            findings <b data-figure="reconciliation-findings" data-key="last">\(run.findings)</b>\(shown)</p>
            \(PageLayout.table(headers, rows, empty: "no findings"))
            """
    }
}
