public import Foundation
import MariaDB

/// How many dead letters wait for one reason, and since when.
public struct DeadLetterReasonCount: Sendable, Codable, Hashable {
    public var reasonCode: String
    public var count: Int64
    public var oldest: Date
    public var newest: Date
}

extension DeadLetterStore {
    /// Dead letters in `state` per reason code, the most numerous first.
    /// - Parameter state: `parked` (what waits for a person), `replayed` or `discarded`.
    /// - Throws: ``MariaDBError`` when the database does not answer.
    public func countsByReason(state: String = "parked") async throws -> [DeadLetterReasonCount] {
        try await pool.query("""
            SELECT reason_code, COUNT(*) AS n, MIN(first_failed_at) AS oldest, MAX(first_failed_at) AS newest
            FROM dead_letters WHERE state = \(state) GROUP BY reason_code ORDER BY n DESC, reason_code
            """).map { row in
            DeadLetterReasonCount(reasonCode: try row.decode("reason_code"), count: try row.decode("n"),
                                  oldest: try row.decode("oldest"), newest: try row.decode("newest"))
        }
    }
}
