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

extension ReconciliationStore {
    /// The latest run of each hour since `since` that covered exactly that hour, by hour start.
    func latestHourlyRuns(since: Date) async throws -> [Date: HourlyRun] {
        var runs: [Date: HourlyRun] = [:]
        for row in try await pool.query("""
            SELECT r.range_start, r.run_id, r.findings FROM reconciliation_runs r JOIN (
                SELECT range_start, MAX(run_id) AS run_id FROM reconciliation_runs
                WHERE range_start >= \(since) AND range_end = range_start + INTERVAL 1 HOUR AND state IN ('clean', 'differences')
                GROUP BY range_start) latest ON latest.run_id = r.run_id
            """) {
            runs[try row.decode("range_start")] = HourlyRun(runID: Int64(try row.decode("run_id", as: UInt64.self)),
                                                            findings: Int(try row.decode("findings", as: UInt64.self)))
        }
        return runs
    }

    /// Findings of these runs not marked repaired, by kind.
    func openFindings(runs: [Int64]) async throws -> [ReconciliationFinding.Kind: Int] {
        guard !runs.isEmpty else { return [:] }
        var query: SQLQuery = "SELECT kind, COUNT(*) AS n FROM reconciliation_findings WHERE repaired_at IS NULL AND run_id IN "
        query.appendIn(runs.map(String.init))
        query.append(sql: " GROUP BY kind")
        var open: [ReconciliationFinding.Kind: Int] = [:]
        for row in try await pool.query(query) {
            guard let kind = ReconciliationFinding.Kind(rawValue: try row.decode("kind")) else { continue }
            open[kind] = Int(try row.decode("n", as: Int64.self))
        }
        return open
    }
}
