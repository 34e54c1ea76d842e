import MariaDB

/// Items grouped by the shard their key hashes to, then cut into chunks of at most `maxChunk`:
/// one transaction each. Order inside a chunk follows the input.
func shardedChunks<Item>(
    _ items: [Item], shards: ShardedPool, maxChunk: Int, key: (Item) -> String
) -> [(pool: MariaDBPool, items: [Item])] {
    var byShard: [Int: [Item]] = [:]
    var shardOrder: [Int] = []
    for item in items {
        let shard = shards.shard(for: key(item))
        if byShard[shard] == nil { shardOrder.append(shard) }
        byShard[shard, default: []].append(item)
    }
    var chunks: [(pool: MariaDBPool, items: [Item])] = []
    let size = max(1, maxChunk)
    for shard in shardOrder {
        let shardItems = byShard[shard] ?? []
        var start = 0
        while start < shardItems.count {
            let end = min(start + size, shardItems.count)
            chunks.append((shards.pools[shard], Array(shardItems[start..<end])))
            start = end
        }
    }
    return chunks
}

/// Runs `body` for every element with at most `limit` running at once; results in input order.
public func concurrentMap<Element: Sendable, Result: Sendable>(
    _ elements: [Element], limit: Int, _ body: @escaping @Sendable (Element) async -> Result
) async -> [Result] {
    if elements.count == 1 { return [await body(elements[0])] }
    return await withTaskGroup(of: (Int, Result).self) { group in
        var results = [Result?](repeating: nil, count: elements.count)
        var next = 0
        for _ in 0..<min(max(1, limit), elements.count) {
            let index = next
            group.addTask { (index, await body(elements[index])) }
            next += 1
        }
        while let (index, result) = await group.next() {
            results[index] = result
            if next < elements.count {
                let index = next
                group.addTask { (index, await body(elements[index])) }
                next += 1
            }
        }
        return results.map { $0! }
    }
}
