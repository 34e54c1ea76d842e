import Foundation
import MariaDB
public import RewardCore
import RewardSettlement

extension Reconciler {
    /// Re-issues the report's repairable findings (under-issued, claimed without credit) through
    /// the engine. Each grant's token (kept with its claim, else in the tokens store) is verified
    /// for exactly that grant first; one that does not verify is refused, counted and logged, and
    /// nothing about its order changes. A claim marked credited whose credit is gone is set back to
    /// `claimed` (only while the ledger still has no credit), so the engine credits it again; the
    /// ledger's idempotency by order id stops a second credit if one appeared meanwhile. Nothing is
    /// debited.
    /// - Returns: What settling did; repaired findings get `repaired_at` in the run.
    public func repair(_ report: ReconciliationReport, settler: RetryingSettler, keyRing: TokenKeyRing) async throws
        -> SettlementTally
    {
        let orders = Array(Set(report.findings.filter(\.kind.isRepairable).compactMap(\.orderID))).sorted()
        guard !orders.isEmpty else { return SettlementTally() }
        var sources = try await ReconciliationSources.load(orders: orders, pool: pool)
        // A grant found only on a lane topic has no token row: its record is the grant.
        for order in orders where sources.grants[order] == nil {
            sources.grants[order] = report.grantLog?.grants[order]
        }
        var grants: [VerifiedGrant] = []
        var tally = SettlementTally()
        for order in orders {
            guard sources.credits[order] == nil, let event = sources.event(for: order, catalog: catalog) else { continue }
            let grant: VerifiedGrant
            do {
                // Claims and tokens are our own records of the grant; a backlog's age does not expire it.
                grant = try keyRing.verify(event, activityFrom: .ourRecords, now: nil)
            } catch {
                tally.refuse(error)
                logger.error("reconciliation repair: the grant's token does not verify; not re-issued", metadata: [
                    "order_id": "\(order)", "reason": "\(error.code.rawValue)",
                ])
                continue
            }
            if sources.claims[order]?.credited == true {
                try await pool.execute("""
                    UPDATE order_claims SET state = 'claimed', credited_at = NULL, ledger_reference = NULL
                    WHERE order_id = \(order) AND state = 'credited'
                    """)
            }
            grants.append(grant)
        }
        let outcomes = await settler.settle(grants, source: .repair)
        outcomes.forEach { tally.count($0) }
        let repaired = zip(grants, outcomes).filter { $0.1.isSettled }.map { $0.0.orderID.rawValue }
        if let runID = report.runID { try await ReconciliationStore(pool: pool).markRepaired(runID: runID, orders: repaired) }
        logger.notice("reconciliation repair", metadata: [
            "credited": "\(tally.credited)", "orders": "\(grants.count)", "refused": "\(tally.refusedTotal)",
        ])
        return tally
    }
}

extension ReconciliationSources {
    /// Grants, claims and credits of these orders, whenever they were made.
    static func load(orders: [String], pool: MariaDBPool) async throws -> ReconciliationSources {
        var sources = ReconciliationSources()
        try await sources.loadGrants(orders, pool: pool)
        try await sources.loadClaims(orders, pool: pool)
        try await sources.loadCredits(orders: orders, pool: pool)
        return sources
    }

    /// The grant as an event the engine can settle: from the claim (what settlement accepted
    /// first) and else the token. Device and app ids are not stored; they do not affect a credit.
    func event(for order: String, catalog: RewardCatalog) -> BonusEvent? {
        let claim = claims[order]
        let grant = grants[order]
        guard let userID = claim?.userID ?? grant?.userID, let activityID = claim?.activityID ?? grant?.activityID,
              let type = claim?.rewardType ?? grant?.rewardType, let amount = claim?.amount ?? grant?.amount,
              let lane = catalog[type]?.lane, let time = claim?.grantedAt ?? grant?.issuedAt
        else { return nil }
        return BonusEvent(
            orderID: OrderID(order), activity: Activity(id: activityID, sceneID: grant?.sceneID ?? "repair"),
            user: User(id: userID, deviceID: "unknown", appID: "unknown"), bonus: BonusContent(rewardType: type, amount: amount),
            lane: lane, grantedAtMilliseconds: Int64(time.timeIntervalSince1970 * 1000), token: claim?.token ?? grant?.token ?? "")
    }
}
