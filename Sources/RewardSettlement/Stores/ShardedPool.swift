import Crypto
public import MariaDB

/// Database pools for one store, spread by a key: the key's stable hash picks the pool.
///
/// The hash is the first 8 bytes of SHA-256 of the key's UTF-8 bytes, big-endian, modulo the
/// number of pools: the same key lands on the same pool in every process and every release. One
/// pool means no sharding (and no hashing).
public struct ShardedPool: Sendable {
    /// The pools, in shard order.
    public let pools: [MariaDBPool]

    /// - Parameter pools: At least one pool, in shard order. Changing the order or the count moves keys.
    /// - Precondition: `pools` is not empty (a configuration error, caught at start-up).
    public init(_ pools: [MariaDBPool]) {
        precondition(!pools.isEmpty, "a ShardedPool needs at least one pool")
        self.pools = pools
    }

    /// The number of shards.
    public var count: Int { pools.count }

    /// The pool that holds `key`.
    public func pool(for key: String) -> MariaDBPool {
        pools[shard(for: key)]
    }

    /// The shard index of `key`, in `0..<count`.
    public func shard(for key: String) -> Int {
        guard pools.count > 1 else { return 0 }
        return Int(Self.stableHash(key) % UInt64(pools.count))
    }

    /// The first 8 bytes of SHA-256(key), big-endian.
    static func stableHash(_ key: String) -> UInt64 {
        let digest = SHA256.hash(data: Array(key.utf8))
        var value: UInt64 = 0
        for byte in digest.prefix(8) { value = value << 8 | UInt64(byte) }
        return value
    }
}
