import Foundation
public import MariaDB

/// The `drain_checkpoints` table: where a drain of one partition and selection stopped.
public struct DrainCheckpointStore: Sendable {
    public struct Key: Sendable, Hashable {
        public var cluster: String
        public var topic: String
        public var partition: Int32
        public var selection: String

        public init(cluster: String, topic: String, partition: Int32, selection: String) {
            self.cluster = cluster
            self.topic = topic
            self.partition = partition
            self.selection = selection
        }
    }

    let pool: MariaDBPool

    public init(pool: MariaDBPool) { self.pool = pool }

    /// The next offset to drain, by partition, for this topic and selection.
    public func load(cluster: String, topic: String, selection: String) async throws -> [Int32: Int64] {
        let rows = try await pool.query("""
            SELECT topic_partition, next_offset FROM drain_checkpoints
            WHERE cluster = \(cluster) AND topic = \(topic) AND selection = \(selection)
            """)
        var offsets: [Int32: Int64] = [:]
        for row in rows { offsets[Int32(try row.decode("topic_partition", as: Int64.self))] = try row.decode("next_offset") }
        return offsets
    }

    /// Moves a checkpoint forward (never back) after the records before `nextOffset` are settled.
    public func advance(_ key: Key, to nextOffset: Int64, end: Int64, settled: Int64) async throws {
        try await pool.execute("""
            INSERT INTO drain_checkpoints (cluster, topic, topic_partition, selection, next_offset, end_offset, settled, updated_at)
            VALUES (\(key.cluster), \(key.topic), \(Int64(key.partition)), \(key.selection), \(nextOffset), \(end), \(settled), \(Date()))
            ON DUPLICATE KEY UPDATE next_offset = GREATEST(next_offset, VALUES(next_offset)), end_offset = VALUES(end_offset),
                settled = settled + VALUES(settled), updated_at = VALUES(updated_at)
            """)
    }
}
