/// One partition's move: from where the group stands to the new offset, and what that means in records.
public struct OffsetMove: Sendable, Hashable, Encodable {
    public var current: GroupPartitionOffsets
    /// The next offset the group shall read; always within the log.
    public var newOffset: Int64

    /// - Throws: ``OffsetsError/Code/offsetOutsideLog`` for an offset outside `[logStart, logEnd]`,
    ///   the only offsets a group can usefully point at (checked before any arithmetic).
    public init(current: GroupPartitionOffsets, newOffset: Int64) throws(OffsetsError) {
        guard newOffset >= current.logStart, newOffset <= current.logEnd else {
            throw OffsetsError(.offsetOutsideLog, """
                partition \(current.partition): offset \(newOffset) is outside its log, which runs from the log start \
                \(current.logStart) to the log end \(current.logEnd)
                """)
        }
        self.current = current
        self.newOffset = newOffset
    }

    /// Records still in the log, not yet read by the group, that the new offset passes over.
    public var skipped: Int64 { max(0, newOffset - current.readFrom) }
    /// Records the group had already read that it will read again (settled again as duplicates).
    public var reread: Int64 { max(0, current.readFrom - newOffset) }
    /// Whether the commit changes anything.
    public var changes: Bool { current.committed != newOffset }

    private enum CodingKeys: String, CodingKey { case current, newOffset, skipped, reread, changes }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(current, forKey: .current)
        try container.encode(newOffset, forKey: .newOffset)
        try container.encode(skipped, forKey: .skipped)
        try container.encode(reread, forKey: .reread)
        try container.encode(changes, forKey: .changes)
    }
}

/// A reset of one lane group on one topic: printed as the preview, committed with `--execute`.
public struct OffsetResetPlan: Sendable, Encodable {
    public var cluster: String
    public var topic: String
    public var group: String
    /// `earliest`, `latest`, `time …`, `offset …`.
    public var target: String
    /// Which partitions were selected: `all`, `partition 3`, `out of range`, ...
    public var selection: String
    /// Partitions of the topic (the offset writer must be assigned all of them).
    public var partitionCount: Int
    public var moves: [OffsetMove]
    public var membership: GroupMembership

    public var changing: [OffsetMove] { moves.filter(\.changes) }
    public var skipped: Int64 { moves.reduce(Int64(0)) { $0.saturatingAdd($1.skipped) } }
    public var reread: Int64 { moves.reduce(Int64(0)) { $0.saturatingAdd($1.reread) } }
    /// Records already gone below the log start on the selected partitions: a reset cannot bring
    /// them back; reconciliation finds their grants.
    public var gone: Int64 { moves.reduce(Int64(0)) { $0.saturatingAdd($1.current.gone) } }

    private enum CodingKeys: String, CodingKey {
        case cluster, topic, group, target, selection, partitionCount, moves, membership, skipped, reread, gone
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(cluster, forKey: .cluster)
        try container.encode(topic, forKey: .topic)
        try container.encode(group, forKey: .group)
        try container.encode(target, forKey: .target)
        try container.encode(selection, forKey: .selection)
        try container.encode(partitionCount, forKey: .partitionCount)
        try container.encode(moves, forKey: .moves)
        try container.encode(membership, forKey: .membership)
        try container.encode(skipped, forKey: .skipped)
        try container.encode(reread, forKey: .reread)
        try container.encode(gone, forKey: .gone)
    }
}
