import Crypto
public import MariaDB

/// Database pools for one store, spread by a key: the key's slot picks the pool.
///
/// The slot is the first 8 bytes of SHA-256 of the key's UTF-8 bytes, big-endian, modulo
/// ``ShardSlots/count`` (4096): the same key has the same slot in every process and every release,
/// and ``slots`` says which pool owns each slot. One pool means no sharding (and no hashing).
public struct ShardedPool: Sendable {
    /// The pools, in shard order.
    public let pools: [MariaDBPool]
    /// Which pool owns each slot.
    public let slots: ShardSlots

    /// - Parameters:
    ///   - pools: At least one pool, in shard order.
    ///   - slots: The slot table; even contiguous ranges by default. Adding a pool with
    ///     ``ShardSlots/addingShard()`` moves only the slots the new pool takes.
    /// - Precondition: `pools` is not empty and `slots` has one shard per pool (configuration
    ///   errors, caught at start-up).
    public init(_ pools: [MariaDBPool], slots: ShardSlots? = nil) {
        precondition(!pools.isEmpty, "a ShardedPool needs at least one pool")
        let slots = slots ?? .evenRanges(shards: pools.count)
        precondition(slots.shardCount == pools.count, "the slot table names \(slots.shardCount) shards for \(pools.count) pools")
        self.pools = pools
        self.slots = slots
    }

    /// The number of shards.
    public var count: Int { pools.count }

    /// The pool that holds `key`.
    public func pool(for key: String) -> MariaDBPool {
        pools[shard(for: key)]
    }

    /// The shard index of `key`, in `0..<count`.
    public func shard(for key: String) -> Int {
        slots.shard(for: key)
    }

    /// The first 8 bytes of SHA-256(key), big-endian.
    static func stableHash(_ key: String) -> UInt64 {
        let digest = SHA256.hash(data: Array(key.utf8))
        var value: UInt64 = 0
        for byte in digest.prefix(8) { value = value << 8 | UInt64(byte) }
        return value
    }
}
