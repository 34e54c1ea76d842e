import Foundation
public import MariaDB

/// Writes runs and findings to `reconciliation_runs` and `reconciliation_findings`, and reads
/// them back (``latestRun()``, ``findings(runID:limit:)``).
public struct ReconciliationStore: Sendable {
    let pool: MariaDBPool

    public init(pool: MariaDBPool) { self.pool = pool }

    /// Records a finished run with its findings in one transaction; returns the run id.
    func record(_ report: ReconciliationReport) async throws -> Int64 {
        let grants = report.buckets.reduce(0) { $0 + $1.grants }
        let granted = report.buckets.reduce(Int64(0)) { $0 + $1.grantedTotal }
        let credits = report.buckets.reduce(0) { $0 + $1.credits }
        let credited = report.buckets.reduce(Int64(0)) { $0 + $1.creditedTotal }
        let now = Date()
        return try await pool.withTransaction { connection in
            let run = try await connection.execute("""
                INSERT INTO reconciliation_runs (range_start, range_end, started_at, finished_at, state, grants, granted_total,
                    credits, credited_total, findings)
                VALUES (\(report.from), \(report.to), \(now), \(now), \(report.isClean ? "clean" : "differences"), \(Int64(grants)),
                    \(granted), \(Int64(credits)), \(credited), \(Int64(report.findings.count)))
                """)
            let runID = Int64(run.lastInsertID)
            for finding in report.findings {
                try await connection.execute("""
                    INSERT INTO reconciliation_findings (run_id, bucket_start, kind, order_id, activity_id, reward_type, user_id,
                        expected_amount, actual_amount, detail)
                    VALUES (\(runID), \(finding.bucketStart), \(finding.kind.rawValue), \(finding.orderID), \(finding.activityID),
                        \(finding.rewardType), \(finding.userID), \(finding.expectedAmount), \(finding.actualAmount),
                        \(String(finding.detail.prefix(1024))))
                    """)
            }
            return runID
        }
    }

    /// Marks a run's findings of these orders repaired.
    func markRepaired(runID: Int64, orders: [String]) async throws {
        for chunk in ReconciliationSources.chunks(orders) {
            var update: SQLQuery = "UPDATE reconciliation_findings SET repaired_at = \(Date()) WHERE run_id = \(runID) AND order_id IN "
            update.appendIn(chunk)
            try await pool.execute(update)
        }
    }
}
