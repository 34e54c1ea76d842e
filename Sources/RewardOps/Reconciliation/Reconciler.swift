public import Foundation
public import Logging
public import MariaDB
public import RewardCore
import RewardSettlement

/// Compares grants (tokens), order claims and ledger credits over a time range, hour by hour
/// per activity and reward type, and lists every difference by kind. See ``ReconciliationFinding/Kind``.
///
/// Only the built-in ledgers (wallet, goods) can be read; claims on an HTTP ledger are taken as
/// the ledger's answer. A repair re-issues missing credits through the engine (idempotent by order
/// id) and never removes money: over-issuance and mismatches are left for a person.
public struct Reconciler: Sendable {
    public let pool: MariaDBPool
    public let catalog: RewardCatalog
    /// A grant younger than this is not counted missing yet: it may still be in a queue.
    public var grace: Duration
    public let logger: Logger

    public init(pool: MariaDBPool, catalog: RewardCatalog, grace: Duration = .seconds(15 * 60), logger: Logger) {
        self.pool = pool
        self.catalog = catalog
        self.grace = grace
        self.logger = logger
    }

    /// Compares the range; records the run and its findings when `record` is set.
    public func run(from: Date, to: Date, now: Date = Date(), record: Bool = true) async throws -> ReconciliationReport {
        let sources = try await ReconciliationSources.load(pool: pool, from: from, to: to)
        var report = ReconciliationReport(from: from, to: to, buckets: [], findings: [])
        var buckets: [BucketKey: ReconciliationBucket] = [:]
        let cutoff = now.addingTimeInterval(-Double(grace.components.seconds))
        let orders = Set(sources.grants.keys).union(sources.claims.keys).union(sources.credits.keys).sorted()
        for order in orders {
            let grant = sources.grants[order]
            let claim = sources.claims[order]
            let credits = sources.credits[order] ?? []
            let time = grant?.issuedAt ?? claim?.grantedAt ?? credits.first?.createdAt ?? from
            let activity = grant?.activityID ?? claim?.activityID ?? credits.first?.activityID ?? "-"
            let type = grant?.rewardType ?? claim?.rewardType ?? credits.first?.rewardType ?? "-"
            let key = BucketKey(start: Self.hour(of: time), activityID: activity, rewardType: type)
            var bucket = buckets[key] ?? ReconciliationBucket(bucketStart: key.start, activityID: activity, rewardType: type)
            if let grant { bucket.grants += 1; bucket.grantedTotal += grant.amount }
            if let claim { bucket.claims += 1; bucket.claimedTotal += claim.amount }
            bucket.credits += credits.count
            bucket.creditedTotal += credits.reduce(0) { $0 + $1.amount }
            var finding = ReconciliationFinding(
                kind: .underIssued, bucketStart: key.start, orderID: order, activityID: activity, rewardType: type,
                userID: grant?.userID ?? claim?.userID ?? credits.first?.userID, expectedAmount: grant?.amount ?? claim?.amount,
                actualAmount: credits.isEmpty ? nil : credits.reduce(0) { $0 + $1.amount }, detail: "")
            func add(_ kind: ReconciliationFinding.Kind, _ detail: String) {
                finding.kind = kind
                finding.detail = detail
                report.findings.append(finding)
            }
            let readable = claim.map { !$0.ledger.hasPrefix("http:") } ?? true
            if credits.isEmpty {
                if let claim, claim.credited, readable {
                    add(.underIssued, "the claim is confirmed credited but the \(claim.ledger) ledger has no credit")
                } else if sources.held.contains(order) || claim?.credited == true {
                    // Held for its budget (reported by `budget show`), or credited on an HTTP ledger.
                } else if time > cutoff {
                    bucket.pending += 1
                } else if claim != nil {
                    add(.claimWithoutCredit, "claimed for settlement and never credited")
                } else {
                    add(.underIssued, "granted and never credited")
                }
            } else {
                let reference = claim.map { ($0.userID, $0.amount) } ?? grant.map { ($0.userID, $0.amount) }
                if let reference {
                    if credits.count > 1 {
                        add(.duplicateCredit, "credited \(credits.count) times")
                    } else if credits[0].userID != reference.0 {
                        add(.userMismatch, "credited to another user than granted")
                    } else if credits[0].amount != reference.1 {
                        add(.amountMismatch, "credited \(credits[0].amount), granted \(reference.1)")
                    }
                } else {
                    add(.overIssued, "credited without a grant or claim")
                }
            }
            if let grant, let claim {
                finding.actualAmount = claim.amount
                if grant.userID != claim.userID {
                    add(.userMismatch, "the claim names another user than the token")
                } else if grant.amount != claim.amount {
                    add(.amountMismatch, "claimed \(claim.amount), the token grants \(grant.amount)")
                }
            }
            buckets[key] = bucket
        }
        report.findings += try await WalletBooks(pool: pool).check(from: from, to: to, bucket: Self.hour(of: from))
        report.findings += try await overBudget(pairs: Set(buckets.keys.map { Pair(activityID: $0.activityID, rewardType: $0.rewardType) }),
                                                bucket: Self.hour(of: from))
        report.buckets = buckets.values.sorted { ($0.bucketStart, $0.activityID, $0.rewardType) < ($1.bucketStart, $1.activityID, $1.rewardType) }
        if record { report.runID = try await ReconciliationStore(pool: pool).record(report) }
        return report
    }

    private struct Pair: Hashable {
        var activityID: String
        var rewardType: String
    }

    private struct BucketKey: Hashable {
        var start: Date
        var activityID: String
        var rewardType: String
    }

    /// Budgets whose credited total (over all time: a cap is for the whole campaign) exceeds the cap.
    private func overBudget(pairs: Set<Pair>, bucket: Date) async throws -> [ReconciliationFinding] {
        var findings: [ReconciliationFinding] = []
        for row in try await pool.query("SELECT activity_id, reward_type, cap FROM budgets ORDER BY activity_id, reward_type") {
            let pair = Pair(activityID: try row.decode("activity_id"), rewardType: try row.decode("reward_type"))
            guard pairs.contains(pair) else { continue }
            let cap: Int64 = try row.decode("cap")
            let totals = try await pool.query("""
                SELECT CAST(COALESCE(SUM(amount), 0) AS SIGNED) AS total FROM wallet_entries
                WHERE activity_id = \(pair.activityID) AND reward_type = \(pair.rewardType) AND account <> '~issuance' AND amount > 0
                UNION ALL SELECT CAST(COALESCE(SUM(quantity), 0) AS SIGNED) FROM goods_grants
                WHERE activity_id = \(pair.activityID) AND item_type = \(pair.rewardType)
                """)
            let credited = try totals.reduce(Int64(0)) { $0 + (try $1.decode(0, as: Int64.self)) }
            guard credited > cap else { continue }
            findings.append(ReconciliationFinding(
                kind: .overBudget, bucketStart: bucket, orderID: nil, activityID: pair.activityID, rewardType: pair.rewardType,
                userID: nil, expectedAmount: cap, actualAmount: credited, detail: "credited \(credited), the cap is \(cap)"))
        }
        return findings
    }

    /// The start of the UTC hour `date` falls in.
    static func hour(of date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 3600).rounded(.down) * 3600)
    }
}
