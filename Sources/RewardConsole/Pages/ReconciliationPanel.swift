import RewardOps

/// The last reconciliation run: what it compared, and the differences it found.
struct ReconciliationPanel {
    let figures: ReconciliationFigures

    var html: HTML {
        guard let run = figures.run else { return "<p class=\"quiet\">no reconciliation has run yet</p>" }
        let state: HTML = run.state == "clean" ? "<span class=\"ok\">clean</span>" : "<span class=\"bad\">\(run.state)</span>"
        let rows = figures.findings.map { stored -> HTML in
            let finding = stored.finding
            return """
                <tr><td data-figure="finding-kind" data-key="\(stored.findingID)">\(finding.kind.rawValue)</td><td>\(finding.orderID ?? "-")</td>\
                <td>\(finding.activityID ?? "-")</td><td>\(finding.rewardType ?? "-")</td>\
                <td class="num">\(finding.expectedAmount.map(String.init) ?? "-")</td><td class="num">\(finding.actualAmount.map(String.init) ?? "-")</td>\
                <td>\(finding.detail)</td><td>\(stored.repairedAt.map(Formatting.timestamp) ?? "")</td></tr>
                """
        }
        let shown = Int64(figures.findings.count) < run.findings ? " (first \(figures.findings.count) shown)" : ""
        return """
            <p>run <b data-figure="reconciliation-run" data-key="last">\(run.runID)</b>: \(state), \
            \(Formatting.timestamp(run.rangeStart)) to \(Formatting.timestamp(run.rangeEnd)), \
            finished \(run.finishedAt.map(Formatting.timestamp) ?? "not yet"); grants \(run.grants) (\(run.grantedTotal)), \
            credits \(run.credits) (\(run.creditedTotal)); findings <b data-figure="reconciliation-findings" data-key="last">\(run.findings)</b>\(shown)</p>
            \(PageLayout.table(["kind", "order", "activity", "type", "expected", "actual", "detail", "repaired"], rows, empty: "no findings"))
            """
    }
}
