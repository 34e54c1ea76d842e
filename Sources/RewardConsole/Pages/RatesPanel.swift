import RewardOps

/// Credits per second of each reward type against its fleet limit (the rate-limits file).
struct RatesPanel {
    let figures: RateFigures

    var html: HTML {
        let rows = figures.types.map { type -> HTML in
            let limit = type.limit.map { Formatting.fixed($0, 0) } ?? "unlimited"
            let share = type.limit.flatMap { $0 > 0 ? Formatting.fixed(type.creditsPerSecond * 100 / $0, 1) + "%" : nil } ?? "-"
            return .row([.cell(type.rewardType), .cell(type.lane),
                         PageLayout.figure("credits", type.rewardType, Formatting.fixed(type.creditsPerSecond, 1)),
                         PageLayout.figure("limit", type.rewardType, limit), PageLayout.figure("share-of-limit", type.rewardType, share),
                         .cell(type.sharedDownstream ?? "")])
        }
        let shared = figures.shared.map { shared -> HTML in
            "<li>\(shared.name): \(Formatting.fixed(shared.rate, 0))/s shared by \(shared.types.joined(separator: ", "))</li>"
        }
        let headers = ["type", "lane", "credits/s", "fleet limit/s", "of limit", "shared downstream"]
        return """
            \(PageLayout.table(headers, rows, empty: "no reward types"))
            <p class="quiet">credits in the last \(figures.windowSeconds) s; limits are the whole fleet's</p>
            \(shared.isEmpty ? HTML("") : HTML("<ul>\(shared)</ul>"))
            """
    }
}
