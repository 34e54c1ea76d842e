public import Foundation
public import MariaDB

/// Credits per second per reward type over the last moments: the rate each type is actually
/// getting, whatever its configured rate, its share or a slow downstream allow.
public enum CreditRates {
    /// Claims credited in the last `window`, per reward type, divided by the window.
    ///
    /// Reads only recent claims through `claims_by_state (state, claimed_at)`: a claim credited in
    /// the window was claimed at most `claimSlack` before it (one batch, its retries), so a
    /// festival night's millions of older rows are not scanned. Duplicates (a grant sent twice)
    /// drain lag without a new credit, so with many of them the ETA errs long, never short.
    /// - Parameters:
    ///   - pool: The claims database.
    ///   - window: How far back to count; long enough to hold a few batches of the slowest type.
    ///   - now: The reader's clock (claims are stamped by the settling process's clock).
    /// - Throws: ``MariaDBError`` when the database does not answer.
    public static func measure(pool: MariaDBPool, window: Duration, claimSlack: Duration = .seconds(120),
                               now: Date = Date()) async throws -> [String: Double] {
        let seconds = Double(window.components.seconds) + Double(window.components.attoseconds) / 1e18
        let since = now.addingTimeInterval(-seconds)
        let claimedSince = since.addingTimeInterval(-Double(claimSlack.components.seconds))
        var rates: [String: Double] = [:]
        for row in try await pool.query("""
            SELECT reward_type, COUNT(*) AS credited FROM order_claims
            WHERE state = 'credited' AND claimed_at >= \(claimedSince) AND credited_at >= \(since) AND credited_at < \(now)
            GROUP BY reward_type
            """) {
            let credited: Int64 = try row.decode("credited")
            rates[try row.decode("reward_type")] = Double(credited) / seconds
        }
        return rates
    }
}
