import MariaDB
import RewardSettlement

extension ShardedPool {
    /// `keys` grouped by the pool that holds them, in chunks of at most `chunk` (one query each).
    func grouped(_ keys: some Sequence<String>, chunk: Int = 500) -> [(pool: MariaDBPool, keys: [String])] {
        var byShard: [Int: [String]] = [:]
        for key in Set(keys) { byShard[shard(for: key), default: []].append(key) }
        var groups: [(pool: MariaDBPool, keys: [String])] = []
        for (shard, shardKeys) in byShard.sorted(by: { $0.key < $1.key }) {
            let sorted = shardKeys.sorted()
            var start = 0
            while start < sorted.count {
                let end = min(start + max(1, chunk), sorted.count)
                groups.append((pools[shard], Array(sorted[start..<end])))
                start = end
            }
        }
        return groups
    }
}
