public import RewardCore

/// The time a lane, or one reward type of it, needs to settle its lag: the lag on every
/// partition of every cluster reported, over the rate the type is actually getting.
///
/// Every consumer of a lane, on either cluster, shares one fleet rate per type, so one partition's
/// lag over that rate understated the time by about partitions × clusters.
public struct LaneETA: Sendable, Codable, Hashable {
    /// Where the rate came from: what the type credited lately, or its fleet rate while it credits nothing.
    public enum RateSource: String, Sendable, Codable {
        case measured
        case fleetRate = "fleet_rate"
        case none
    }

    public var lane: String
    /// `*` for the whole lane, else a reward type.
    public var rewardType: String
    /// The clusters whose lag is summed.
    public var clusters: [String]
    public var lag: Int64
    /// Records per second this estimate divides by (`nil`: none measured and none configured).
    public var rate: Double?
    public var rateSource: RateSource
    /// Seconds to settle `lag` (0 with no lag; `nil` when there is lag but no rate).
    public var etaSeconds: Double?

    /// Estimates per lane and, where `rows` split the lag by type, per type.
    /// - Parameters:
    ///   - rows: ``LagRow``s of one or more clusters (`*` rows per partition, type rows with `--by-type`).
    ///   - catalog: Which types belong to which lane.
    ///   - measured: Credits per second per type lately (``CreditRates``).
    ///   - fleetRates: Configured fleet-wide rate per type (the rate-limits file).
    public static func estimate(rows: [LagRow], catalog: RewardCatalog, measured: [String: Double],
                                fleetRates: [String: Double]) -> [LaneETA] {
        let clusters = Array(Set(rows.map(\.cluster))).sorted()
        func rate(_ type: String) -> (Double, RateSource)? {
            if let value = measured[type], value > 0 { return (value, .measured) }
            if let value = fleetRates[type], value > 0 { return (value, .fleetRate) }
            return nil
        }
        func make(_ lane: String, _ type: String, lag: Int64, rate: (Double, RateSource)?) -> LaneETA {
            LaneETA(lane: lane, rewardType: type, clusters: clusters, lag: lag, rate: rate?.0, rateSource: rate?.1 ?? .none,
                    etaSeconds: lag == 0 ? 0 : rate.map { Double(lag) / $0.0 })
        }
        var estimates: [LaneETA] = []
        for (lane, laneRows) in Dictionary(grouping: rows, by: \.lane).sorted(by: { $0.key < $1.key }) {
            let byType = Dictionary(grouping: laneRows.filter { $0.rewardType != "*" }, by: \.rewardType)
            let types = byType.keys.sorted().map { type in
                make(lane, type, lag: byType[type]!.reduce(0) { $0 + $1.lag }, rate: rate(type))
            }
            let lag = laneRows.filter { $0.rewardType == "*" }.reduce(Int64(0)) { $0 + $1.lag }
            if types.isEmpty {
                // No breakdown: the lane's types settle in parallel, so their summed rate is the best case.
                let laneTypes = catalog.types.values.filter { $0.lane.rawValue == lane }.map(\.id)
                let rates = laneTypes.compactMap(rate)
                let total = rates.isEmpty ? nil : (rates.map(\.0).reduce(0, +),
                                                   rates.contains { $0.1 == .measured } ? RateSource.measured : .fleetRate)
                estimates.append(make(lane, "*", lag: lag, rate: total))
            } else {
                // With a breakdown the lane is done when its slowest type is.
                var lane = make(lane, "*", lag: lag, rate: nil)
                // A type with no rate at all (none configured, none credited lately) has no ETA to wait for.
                lane.etaSeconds = types.compactMap(\.etaSeconds).max()
                lane.rateSource = types.contains { $0.rateSource == .measured } ? .measured : types.first?.rateSource ?? .none
                estimates.append(lane)
                estimates += types
            }
        }
        return estimates
    }
}
