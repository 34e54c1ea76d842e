public import MariaDB
public import RewardCore

/// Which consumer instances of a lane are alive: every consumer heartbeats a lease in
/// `rate_leases` under the scope `lane-<lane>` (see `RateShareCoordinator`), so a lease younger
/// than the lease duration means a consumer that may be settling the same records right now.
public enum LaneActivity {
    /// The lease duration consumers use (RateShareCoordinator's default).
    public static let leaseSeconds = 3

    /// Instance ids with a live lease on `lane`, by the database's clock.
    public static func activeInstances(lane: Lane, pool: MariaDBPool) async throws -> [String] {
        let rows = try await pool.query("""
            SELECT instance_id FROM rate_leases
            WHERE scope = \("lane-\(lane.rawValue)") AND heartbeat_at >= NOW(6) - INTERVAL \(Int64(leaseSeconds)) SECOND
            ORDER BY instance_id
            """)
        return try rows.map { try $0.decode("instance_id") }
    }
}
