import MariaDB

/// A credit with its place in the caller's batch.
struct IndexedCredit: Sendable {
    var index: Int
    var credit: LedgerCredit
}

/// The frame the built-in MariaDB ledgers share: refuse what cannot be credited, group the rest
/// by the user's shard in chunks of at most `maxBatchSize` (one transaction each), credit the
/// chunks concurrently, and answer in input order.
/// - Parameters:
///   - refusal: The answer for a credit this ledger can never make, or `nil`.
///   - chunk: Credits one chunk on its shard's pool; returns (input index, result) pairs.
func creditByUserShard(
    _ credits: [LedgerCredit], shards: ShardedPool, maxBatchSize: Int,
    refusal: (LedgerCredit) -> LedgerResult?,
    chunk: @escaping @Sendable (MariaDBPool, [IndexedCredit]) async -> [(Int, LedgerResult)]
) async -> [LedgerResult] {
    var results = [LedgerResult?](repeating: nil, count: credits.count)
    var valid: [IndexedCredit] = []
    for (index, credit) in credits.enumerated() {
        if let refused = refusal(credit) {
            results[index] = refused
        } else {
            valid.append(IndexedCredit(index: index, credit: credit))
        }
    }
    let chunks = shardedChunks(valid, shards: shards, maxChunk: maxBatchSize) { $0.credit.userID }
        .map { ShardChunk(pool: $0.pool, items: $0.items) }
    for answered in await concurrentMap(chunks, limit: 8, { await chunk($0.pool, $0.items) }) {
        for (index, result) in answered { results[index] = result }
    }
    return results.map { $0 ?? .retriable("no result for this credit") }
}

private struct ShardChunk: Sendable {
    var pool: MariaDBPool
    var items: [IndexedCredit]
}
