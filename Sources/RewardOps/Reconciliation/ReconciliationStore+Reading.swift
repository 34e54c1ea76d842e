public import Foundation
import MariaDB

/// One row of `reconciliation_runs`: what a run compared and how many differences it found.
public struct ReconciliationRun: Sendable, Codable, Hashable {
    public var runID: Int64
    public var rangeStart: Date
    public var rangeEnd: Date
    public var startedAt: Date
    public var finishedAt: Date?
    /// `running`, `clean`, `differences` or `failed`.
    public var state: String
    public var grants: Int64
    public var grantedTotal: Int64
    public var credits: Int64
    public var creditedTotal: Int64
    public var findings: Int64
}

/// A stored finding with its row id and whether a repair covered it.
public struct StoredFinding: Sendable, Codable, Hashable {
    public var findingID: Int64
    public var finding: ReconciliationFinding
    public var repairedAt: Date?
}

extension ReconciliationStore {
    /// The run started last, if any.
    /// - Throws: ``MariaDBError`` when the database does not answer.
    public func latestRun() async throws -> ReconciliationRun? {
        try await pool.query("""
            SELECT run_id, range_start, range_end, started_at, finished_at, state, grants, granted_total, credits, credited_total,
                findings
            FROM reconciliation_runs ORDER BY run_id DESC LIMIT 1
            """).first.map { row in
            ReconciliationRun(
                runID: try row.decode("run_id"), rangeStart: try row.decode("range_start"), rangeEnd: try row.decode("range_end"),
                startedAt: try row.decode("started_at"), finishedAt: try row.decode("finished_at"), state: try row.decode("state"),
                grants: try row.decode("grants"), grantedTotal: try row.decode("granted_total"), credits: try row.decode("credits"),
                creditedTotal: try row.decode("credited_total"), findings: try row.decode("findings"))
        }
    }

    /// A run's findings in the order they were recorded, at most `limit`. A kind this version does
    /// not know (a newer reconciler wrote it) is skipped rather than failing the whole list.
    /// - Throws: ``MariaDBError`` when the database does not answer.
    public func findings(runID: Int64, limit: Int = 100) async throws -> [StoredFinding] {
        try await pool.query("""
            SELECT finding_id, bucket_start, kind, order_id, activity_id, reward_type, user_id, expected_amount, actual_amount,
                detail, repaired_at
            FROM reconciliation_findings WHERE run_id = \(runID) ORDER BY finding_id LIMIT \(Int64(max(1, limit)))
            """).compactMap { row in
            guard let kind = ReconciliationFinding.Kind(rawValue: try row.decode("kind")) else { return nil }
            let finding = ReconciliationFinding(
                kind: kind, bucketStart: try row.decode("bucket_start"), orderID: try row.decode("order_id"),
                activityID: try row.decode("activity_id"), rewardType: try row.decode("reward_type"), userID: try row.decode("user_id"),
                expectedAmount: try row.decode("expected_amount"), actualAmount: try row.decode("actual_amount"),
                detail: try row.decode("detail"))
            return StoredFinding(findingID: try row.decode("finding_id"), finding: finding, repairedAt: try row.decode("repaired_at"))
        }
    }
}
