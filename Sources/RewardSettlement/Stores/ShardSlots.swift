/// Which shard owns each of a fixed number of hash slots: a key's slot never changes, and moving
/// to more servers reassigns whole slots, so only the keys of the reassigned slots move.
///
/// With `hash % shards`, going from 3 servers to 4 would move three keys in four; with slots,
/// ``addingShard()`` moves one in four (the new server's fair share) and nothing else.
public struct ShardSlots: Sendable, Equatable {
    /// The number of slots: fixed forever, since every stored key's slot is derived from it.
    public static let count = 4096

    /// The owning shard of each slot, `0..<shardCount`.
    public let owners: [Int]
    public let shardCount: Int

    /// An explicit assignment (as a shard map in the configuration states it).
    /// - Throws: ``ShardSlotsError`` when the table is not `count` long, names a shard outside
    ///   `0..<shards`, or leaves a shard without a slot.
    public init(owners: [Int], shards: Int) throws(ShardSlotsError) {
        guard shards >= 1 else { throw ShardSlotsError("a store needs at least one shard") }
        guard owners.count == Self.count else {
            throw ShardSlotsError("the slot table has \(owners.count) entries; it must have \(Self.count)")
        }
        if let bad = owners.firstIndex(where: { !(0..<shards).contains($0) }) {
            throw ShardSlotsError("slot \(bad) is given to shard \(owners[bad]), but there are \(shards) shards")
        }
        let used = Set(owners)
        if let idle = (0..<shards).first(where: { !used.contains($0) }) {
            throw ShardSlotsError("shard \(idle) owns no slot")
        }
        self.owners = owners
        self.shardCount = shards
    }

    /// Contiguous, even ranges: slot `s` belongs to shard `s × shards / count`.
    public static func evenRanges(shards: Int) -> ShardSlots {
        let shards = max(1, min(shards, count))
        return ShardSlots(unchecked: (0..<count).map { $0 * shards / count }, shards: shards)
    }

    private init(unchecked owners: [Int], shards: Int) {
        self.owners = owners
        self.shardCount = shards
    }

    /// The same table with one more shard, which takes from every shard above its new fair share
    /// its highest slots until it has its own share; no other slot changes owner.
    public func addingShard() -> ShardSlots {
        let newShard = shardCount
        let target = Self.count / (shardCount + 1)
        var owners = self.owners
        var owned = [Int](repeating: 0, count: shardCount)
        for owner in owners { owned[owner] += 1 }
        var taken = 0
        for slot in stride(from: Self.count - 1, through: 0, by: -1) where taken < target {
            let owner = owners[slot]
            if owned[owner] > target {
                owners[slot] = newShard
                owned[owner] -= 1
                taken += 1
            }
        }
        return ShardSlots(unchecked: owners, shards: shardCount + 1)
    }

    /// The slot of `key`: its stable hash modulo ``count``.
    public static func slot(for key: String) -> Int {
        Int(ShardedPool.stableHash(key) % UInt64(count))
    }

    /// The shard that owns `key`.
    public func shard(for key: String) -> Int {
        shardCount == 1 ? 0 : owners[Self.slot(for: key)]
    }
}

/// A slot table that cannot be used, with what is wrong.
public struct ShardSlotsError: Error, Sendable, CustomStringConvertible, Equatable {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
