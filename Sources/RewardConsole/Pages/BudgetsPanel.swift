import RewardOps

/// Each activity's budget per reward type: issued against the cap, and what waits for it.
struct BudgetsPanel {
    let budgets: [BudgetStatus]

    var html: HTML {
        let rows = budgets.map { budget -> HTML in
            let key = "\(budget.activityID)/\(budget.rewardType)"
            let used: HTML = budget.isWarning
                ? "<span class=\"warn\">\(Formatting.fixed(budget.percentUsed, 1))%</span>" : "\(Formatting.fixed(budget.percentUsed, 1))%"
            return """
                <tr><td>\(budget.activityID)</td><td>\(budget.rewardType)</td>\(PageLayout.figure("budget-issued", key, "\(budget.issued)"))\
                \(PageLayout.figure("budget-cap", key, "\(budget.cap)"))<td class="num">\(used)</td>\
                \(PageLayout.figure("budget-held", key, "\(budget.held)"))<td class="num">\(budget.heldOrders)</td></tr>
                """
        }
        return PageLayout.table(["activity", "type", "issued", "cap", "used", "held", "held orders"], rows, empty: "no budgets set")
    }
}
