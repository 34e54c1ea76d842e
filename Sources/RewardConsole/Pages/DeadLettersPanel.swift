import RewardOps

/// Parked dead letters by reason, and the newest ones, each linking to its page.
struct DeadLettersPanel {
    let figures: DeadLetterFigures

    var html: HTML {
        let reasons = figures.byReason.map { reason -> HTML in
            """
            <tr><td>\(reason.reasonCode)</td>\(PageLayout.figure("dead-letters", reason.reasonCode, "\(reason.count)"))\
            <td>\(Formatting.timestamp(reason.oldest))</td><td>\(Formatting.timestamp(reason.newest))</td></tr>
            """
        }
        let letters = figures.newest.map { letter -> HTML in
            """
            <tr><td><a href="/dead-letters/\(letter.id)">\(letter.id)</a></td><td>\(letter.origin)</td><td>\(letter.orderID ?? "-")</td>\
            <td>\(letter.rewardType ?? "-")</td><td>\(letter.reasonCode)</td><td class="num">\(letter.replayCount)</td>\
            <td>\(Formatting.timestamp(letter.firstFailedAt))</td></tr>
            """
        }
        let total = figures.byReason.reduce(Int64(0)) { $0 + $1.count }
        return """
            <p>parked: <b data-figure="dead-letters-total" data-key="all">\(total)</b></p>
            \(PageLayout.table(["reason", "parked", "oldest", "newest"], reasons, empty: "nothing parked"))
            <h3>Newest</h3>
            \(PageLayout.table(["id", "origin", "order", "type", "reason", "replays", "first failed"], letters, empty: "nothing parked"))
            """
    }
}
