/// Prepared statements of one connection keyed by SQL text, bounded with least-recently-used eviction.
///
/// Evicted statements are returned to the caller, which must close them (on the connection's thread).
struct StatementCache {
    private struct Entry {
        let statement: PreparedStatement
        var lastUse: UInt64
    }

    let capacity: Int
    private var entries: [String: Entry] = [:]
    private var clock: UInt64 = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var count: Int { entries.count }

    /// The cached statement for `sql`, marked as most recently used.
    mutating func statement(for sql: String) -> PreparedStatement? {
        clock += 1
        guard entries[sql] != nil else { return nil }
        entries[sql]!.lastUse = clock
        return entries[sql]!.statement
    }

    /// Adds a statement; returns the least recently used one if the cache was full.
    mutating func insert(_ statement: PreparedStatement, for sql: String) -> PreparedStatement? {
        clock += 1
        var evicted: PreparedStatement?
        if entries[sql] == nil, entries.count >= capacity,
            let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse })
        {
            evicted = oldest.value.statement
            entries[oldest.key] = nil
        }
        entries[sql] = Entry(statement: statement, lastUse: clock)
        return evicted
    }

    /// Removes the statement for `sql`, if cached.
    mutating func remove(_ sql: String) -> PreparedStatement? {
        entries.removeValue(forKey: sql)?.statement
    }

    /// Removes and returns every statement.
    mutating func removeAll() -> [PreparedStatement] {
        defer { entries.removeAll() }
        return entries.values.map(\.statement)
    }
}
