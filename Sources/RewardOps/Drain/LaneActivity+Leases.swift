public import Foundation
public import MariaDB

/// One consumer instance as its rate lease shows it: alive while it heartbeats.
public struct ConsumerLease: Sendable, Codable, Hashable {
    /// `lane-<lane>` for lane consumers.
    public var scope: String
    /// The process's name with the lease's random suffix.
    public var instanceID: String
    public var fleet: String
    public var joinedAt: Date
    public var heartbeatAt: Date
    /// Seconds since the last heartbeat, by the database's clock (the one that stamped it).
    public var heartbeatAgeSeconds: Double
    /// The rate buckets it wants now, as the lease's JSON (bucket → priority).
    public var demands: String

    /// Whether the fleet still counts it: its heartbeat is younger than the lease duration.
    public var isLive: Bool { heartbeatAgeSeconds < Double(LaneActivity.leaseSeconds) }
}

extension LaneActivity {
    /// Every lease in `rate_leases`, live or not yet deleted, by scope and instance.
    /// - Throws: ``MariaDBError`` when the database does not answer.
    public static func leases(pool: MariaDBPool) async throws -> [ConsumerLease] {
        try await pool.query("""
            SELECT scope, instance_id, fleet, joined_at, heartbeat_at, demands,
                TIMESTAMPDIFF(MICROSECOND, heartbeat_at, NOW(6)) AS age_us
            FROM rate_leases ORDER BY scope, instance_id
            """).map { row in
            ConsumerLease(scope: try row.decode("scope"), instanceID: try row.decode("instance_id"), fleet: try row.decode("fleet"),
                          joinedAt: try row.decode("joined_at"), heartbeatAt: try row.decode("heartbeat_at"),
                          heartbeatAgeSeconds: Double(try row.decode("age_us", as: Int64.self)) / 1e6,
                          demands: try row.decode("demands"))
        }
    }
}
