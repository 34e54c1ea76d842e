/// Which records of a loaded segment replay is done with, and how far its checkpoint may move.
///
/// A record is done once a cluster acknowledged it or it went to the quarantine. A record that is
/// done is never handed out again; the checkpoint moves only over the contiguous done prefix,
/// so a crash resends at most what was in flight or done after a gap (at-least-once). A record
/// a cluster refused for good is not handed to that cluster again, and goes to the quarantine
/// only once every cluster has refused it: one cluster's ACL or size limit is not the grant's end.
struct ReplayProgress: Sendable, Equatable {
    private var done: [Bool]
    /// Record index → clusters that refused it for good (bit i: cluster i).
    private var refusedBy: [Int: UInt64] = [:]
    /// Records `0..<prefix` are all done.
    private(set) var prefix = 0
    /// Records not done yet.
    private(set) var remaining: Int

    init(count: Int) {
        done = Array(repeating: false, count: count)
        remaining = count
    }

    var isComplete: Bool { remaining == 0 }

    /// The first `limit` records that are not done, in order; with `cluster`, only those it has not refused.
    func pending(limit: Int, for cluster: Int? = nil) -> [Int] {
        let refusing = cluster.map { UInt64(1) << UInt64($0) } ?? 0
        var indices: [Int] = []
        var index = prefix
        while indices.count < limit, index < done.count {
            if !done[index], (refusedBy[index] ?? 0) & refusing == 0 { indices.append(index) }
            index += 1
        }
        return indices
    }

    /// Notes that `cluster` refused record `index` for good.
    /// - Returns: whether all `clusterCount` clusters have now refused it (its place is the quarantine).
    mutating func refused(_ index: Int, by cluster: Int, of clusterCount: Int) -> Bool {
        let mask = refusedBy[index, default: 0] | UInt64(1) << UInt64(cluster)
        refusedBy[index] = mask
        return mask == (UInt64(1) << UInt64(clusterCount)) - 1
    }

    /// Marks records done and moves the prefix over what became contiguous.
    /// - Returns: whether the prefix moved (the checkpoint may be written at `prefix - 1`).
    @discardableResult
    mutating func complete(_ indices: some Sequence<Int>) -> Bool {
        for index in indices where !done[index] {
            done[index] = true
            remaining -= 1
        }
        let before = prefix
        while prefix < done.count, done[prefix] { prefix += 1 }
        return prefix != before
    }
}
