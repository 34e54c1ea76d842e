import RewardOps

/// The one page for the night: every panel, each from its own source.
struct OverviewPage {
    let figures: NightFigures
    let session: OperatorSession
    /// The version a control change just recorded, for the switches panel's banner.
    var applied: Int64?

    var html: HTML {
        let body: HTML = """
            <p class="quiet wide" style="grid-column:1/-1">read at <span data-figure="taken-at">\(Formatting.timestamp(figures.takenAt))</span> \
            · <a href="/">refresh</a></p>
            \(PageLayout.panel("switches", "Switches", figures.switches, wide: true) { switches in
                SwitchesPanel(state: switches.state, history: switches.history, keys: switches.keys, session: session, applied: applied).html
            })
            \(PageLayout.panel("lag", "Lag and time to drain", figures.lag) { LagPanel(figures: $0).html })
            \(PageLayout.panel("rates", "Credits/s against the limit", figures.rates) { RatesPanel(figures: $0).html })
            <section id="consumers"><h2>Consumers and daemons</h2>\(ConsumersPanel(leases: figures.consumers, daemons: figures.daemons).html)</section>
            \(PageLayout.panel("budgets", "Budgets", figures.budgets) { BudgetsPanel(budgets: $0).html })
            \(PageLayout.panel("dead-letters", "Dead letters", figures.deadLetters, wide: true) { DeadLettersPanel(figures: $0).html })
            \(PageLayout.panel("reconciliation", "Last reconciliation", figures.reconciliation, wide: true) {
                ReconciliationPanel(figures: $0).html
            })
            """
        return PageLayout.page(title: "Reward console", operatorBar: PageLayout.operatorBar(session), body)
    }
}
