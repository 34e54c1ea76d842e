import Foundation

/// The table `reward-bench pace` prints per scenario.
enum PaceReport {
    static func print(scenario: String, _ results: [PaceRun.Result]) {
        Swift.print("pace [\(scenario)]:")
        for result in results {
            let slice = result.busiestSlice.map { "busiest slice \($0)/\(Int(result.type.rate / 10))" } ?? "busiest slice n/a (not an HTTP ledger)"
            let rejected = result.rejected429.map { "\($0) x 429" } ?? ""
            Swift.print(String(format: "  %@: %d credited; ideal %.1f s; actual %.1f s from the backlog's arrival (efficiency %.2f), %.1f s from the first credit (efficiency %.2f); %@ %@",
                               result.type.id, result.credited, result.ideal, result.fromStart, result.ideal / max(0.001, result.fromStart),
                               result.fromFirstCredit, result.ideal / max(0.001, result.fromFirstCredit), slice, rejected))
        }
    }
}
