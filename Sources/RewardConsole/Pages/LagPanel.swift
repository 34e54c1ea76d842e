import RewardOps

/// Lag per cluster, lane and reward type, and the time each lane and type needs to drain it.
struct LagPanel {
    let figures: LagFigures

    var html: HTML {
        let lagRows = figures.totals.map { total -> HTML in
            let type = total.rewardType == "*" ? "all types" : total.rewardType
            return .row([.cell(total.cluster), .cell(total.lane), .cell(type),
                         PageLayout.figure("lag", "\(total.cluster)/\(total.lane)/\(total.rewardType)", "\(total.lag)")])
        }
        let etaRows = figures.etas.map { eta -> HTML in
            let key = "\(eta.lane)/\(eta.rewardType)"
            let time = eta.etaSeconds.map { Formatting.duration(seconds: $0) } ?? (eta.lag > 0 ? "no rate" : "-")
            return .row([.cell(eta.lane), .cell(eta.rewardType == "*" ? "whole lane" : eta.rewardType),
                         PageLayout.figure("eta-lag", key, "\(eta.lag)"),
                         PageLayout.figure("eta-rate", key, eta.rate.map { Formatting.fixed($0, 1) } ?? "-"),
                         .cell(eta.rateSource.rawValue), PageLayout.figure("eta", key, time)])
        }
        let failures = figures.failedClusters.map { failed -> HTML in
            "<p class=\"bad\">cluster \(failed.cluster): lag unavailable: \(failed.failure.message)</p>"
        }
        return """
            \(failures)\(PageLayout.table(["cluster", "lane", "type", "lag"], lagRows, empty: "no lane topics in the cluster directory"))
            <h3>Time to drain (every cluster's lag over the rate each type is getting)</h3>
            \(PageLayout.table(["lane", "type", "lag", "rate/s", "rate from", "ETA"], etaRows, empty: "no lag"))
            """
    }
}
