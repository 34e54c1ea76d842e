/// `reward-admin lag --json`, as the tests read it.
struct LagOutput: Decodable {
    struct Partition: Decodable {
        var cluster: String
        var partition: Int32
        var rewardType: String
        var committed: Int64?
        var lag: Int64
    }

    struct ETA: Decodable {
        var lane: String
        var rewardType: String
        var lag: Int64
        var rate: Double?
        var rateSource: String
        var etaSeconds: Double?
    }

    var partitions: [Partition]
    var lanes: [ETA]
}
