import RewardOps

/// Lag per cluster, lane and reward type, and the time each lane and type needs to drain it.
struct LagPanel {
    let figures: LagFigures

    var html: HTML {
        let lagRows = figures.totals.map { total -> HTML in
            let key = "\(total.cluster)/\(total.lane)/\(total.rewardType)"
            return "<tr><td>\(total.cluster)</td><td>\(total.lane)</td><td>\(total.rewardType == "*" ? "all types" : total.rewardType)</td>\(PageLayout.figure("lag", key, "\(total.lag)"))</tr>"
        }
        let etaRows = figures.etas.map { eta -> HTML in
            let key = "\(eta.lane)/\(eta.rewardType)"
            let rate = eta.rate.map { Formatting.fixed($0, 1) } ?? "-"
            let time = eta.etaSeconds.map { Formatting.duration(seconds: $0) } ?? (eta.lag > 0 ? "no rate" : "-")
            return """
                <tr><td>\(eta.lane)</td><td>\(eta.rewardType == "*" ? "whole lane" : eta.rewardType)</td>\(PageLayout.figure("eta-lag", key, "\(eta.lag)"))\
                \(PageLayout.figure("eta-rate", key, rate))<td>\(eta.rateSource.rawValue)</td>\(PageLayout.figure("eta", key, time))</tr>
                """
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
