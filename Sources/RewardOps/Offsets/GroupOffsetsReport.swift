/// Who may be using a lane group right now, as far as the cluster and the database can tell.
public struct GroupMembership: Sendable, Hashable, Codable {
    /// Whether the cluster described the group (real Kafka); `false` on librdkafka's mock clusters,
    /// which implement no DescribeGroups.
    public var described: Bool
    /// The coordinator's state (`Stable`, `Empty`, ...), when described.
    public var state: String?
    /// `client-id@host (member-id)` of each live member, when described.
    public var members: [String]
    /// Instances with a live lease in `rate_leases` for the lane: consumers of this lane on *any*
    /// cluster (the lease scope is the lane). `nil` when the database could not be read.
    public var laneLeases: [String]?
    /// Why something above is unknown.
    public var notes: [String]

    public init(described: Bool, state: String?, members: [String], laneLeases: [String]?, notes: [String]) {
        self.described = described
        self.state = state
        self.members = members
        self.laneLeases = laneLeases
        self.notes = notes
    }

    /// Human-readable lines for the tables' footer.
    public var lines: [String] {
        var lines: [String] = []
        if described {
            lines.append("group members: " + (members.isEmpty ? "none (state \(state ?? "?"))" : members.joined(separator: ", ")))
        } else {
            lines.append("group members: not described by this cluster; `offsets reset --execute` checks by joining the group")
        }
        if let laneLeases {
            lines.append("live lane leases (consumers of this lane on either cluster): "
                + (laneLeases.isEmpty ? "none" : laneLeases.joined(separator: ", ")))
        }
        lines += notes
        return lines
    }
}

/// `reward-admin offsets show` for one lane topic: the lane group's offsets per partition.
public struct GroupOffsetsReport: Sendable, Encodable {
    public var cluster: String
    public var topic: String
    public var lane: String
    public var group: String
    public var partitions: [GroupPartitionOffsets]
    public var membership: GroupMembership

    public var outOfRange: [GroupPartitionOffsets] { partitions.filter(\.isOutOfRange) }
    public var lag: Int64 { partitions.reduce(Int64(0)) { $0.saturatingAdd($1.lag) } }
    public var gone: Int64 { partitions.reduce(Int64(0)) { $0.saturatingAdd($1.gone) } }

    private enum CodingKeys: String, CodingKey { case cluster, topic, lane, group, partitions, membership, outOfRange, lag, gone }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(cluster, forKey: .cluster)
        try container.encode(topic, forKey: .topic)
        try container.encode(lane, forKey: .lane)
        try container.encode(group, forKey: .group)
        try container.encode(partitions, forKey: .partitions)
        try container.encode(membership, forKey: .membership)
        try container.encode(outOfRange.map(\.partition), forKey: .outOfRange)
        try container.encode(lag, forKey: .lag)
        try container.encode(gone, forKey: .gone)
    }
}
