/// Which records of a loaded segment replay is done with, and how far its checkpoint may move.
///
/// A record is done once a cluster acknowledged it or it went to the quarantine. A record that is
/// done is never handed out again; the checkpoint moves only over the contiguous done prefix,
/// so a crash resends at most what was in flight or done after a gap (at-least-once).
struct ReplayProgress: Sendable, Equatable {
    private var done: [Bool]
    /// Records `0..<prefix` are all done.
    private(set) var prefix = 0
    /// Records not done yet.
    private(set) var remaining: Int

    init(count: Int) {
        done = Array(repeating: false, count: count)
        remaining = count
    }

    var isComplete: Bool { remaining == 0 }

    /// The first `limit` records that are not done, in order.
    func pending(limit: Int) -> [Int] {
        var indices: [Int] = []
        var index = prefix
        while indices.count < limit, index < done.count {
            if !done[index] { indices.append(index) }
            index += 1
        }
        return indices
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
