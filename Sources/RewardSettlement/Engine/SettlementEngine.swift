import Foundation
public import Logging
import MariaDB
public import Metrics
public import RewardCore

/// Settles granted rewards exactly once: claim the order id, reserve budget, credit the ledger,
/// confirm the claim. Consumers, withdrawals and admin drains all settle through one engine, and it
/// takes only ``VerifiedGrant``s (inside ``SettlementRequest``), which only a ``TokenKeyRing`` makes.
///
/// ``settle(_:)`` works in batches: requests are grouped by claims shard and each batch takes one
/// transaction per step. A crash between any two steps is safe: the claim stays `claimed`, the
/// redelivered event goes to the ledger again, the ledger's own idempotency by order id answers
/// already credited, and the claim is confirmed. See docs/architecture.md, "Settlement".
public final class SettlementEngine: Sendable {
    private let configuration: Configuration
    private let stores: SettlementStores
    private let ledgers: LedgerDirectory
    private let catalog: RewardCatalog
    private let logger: Logger
    private let metrics: SettlementMetrics
    private let claims: ClaimStore
    private let budgets: BudgetStore

    /// Creates an engine.
    /// - Parameters:
    ///   - configuration: Batching, retries, fault injection.
    ///   - stores: Claims and budgets pools (ledgers hold their own).
    ///   - ledgers: The ledgers the catalog's `ledger` fields name.
    ///   - catalog: The reward types: unit, ledger, amount range, switch.
    ///   - logger: Conflicts at error level (order id, no personal data beyond ids), retries at debug.
    ///   - metrics: Outcomes, conflicts, ledger latency, budget use, transaction retries and re-checks.
    public init(configuration: Configuration, stores: SettlementStores, ledgers: LedgerDirectory, catalog: RewardCatalog,
                logger: Logger, metrics: any MetricsFactory) {
        self.configuration = configuration
        self.stores = stores
        self.ledgers = ledgers
        self.catalog = catalog
        self.logger = logger
        self.metrics = SettlementMetrics(factory: metrics)
        let runner = TransactionRunner(
            maxAttempts: configuration.transactionAttempts, baseBackoff: configuration.retryBackoff,
            hooks: configuration.hooks, logger: logger, metrics: metrics)
        self.claims = ClaimStore(runner: runner)
        self.budgets = BudgetStore(runner: runner)
    }

    /// Settles a batch of requests.
    ///
    /// The same order id twice in one call: the first occurrence is settled, a later identical one
    /// answers ``SettlementOutcome/alreadyCredited`` (or the first's outcome when that did not
    /// settle), a later different one is a conflict.
    /// - Parameter requests: Any number of requests, any mix of sources and reward types.
    /// - Returns: One outcome per request, in input order. Never throws: a store error becomes
    ///   ``SettlementOutcome/retriable(_:)`` for the requests it touched.
    public func settle(_ requests: [SettlementRequest]) async -> [SettlementOutcome] {
        var outcomes = [SettlementOutcome?](repeating: nil, count: requests.count)
        var groups: [OrderGroup] = []
        var groupIndex: [String: Int] = [:]
        for (index, request) in requests.enumerated() {
            switch validate(request, index: index) {
            case .failure(let refusal):
                outcomes[index] = refusal.outcome
            case .success(let item):
                if let existing = groupIndex[item.orderID] {
                    groups[existing].items.append(item)
                } else {
                    groupIndex[item.orderID] = groups.count
                    groups.append(OrderGroup(orderID: item.orderID, items: [item]))
                }
            }
        }
        let batches = shardedChunks(groups, shards: stores.claims, maxChunk: configuration.maxBatchSize) { $0.orderID }
            .map { Batch(pool: $0.pool, groups: $0.items) }
        let results = await concurrentMap(batches, limit: configuration.maxConcurrentBatches) { [self] batch in
            await self.settle(batch)
        }
        for batch in results {
            for (index, outcome) in batch { outcomes[index] = outcome }
        }
        let final = outcomes.map { $0 ?? .retriable("settlement produced no outcome") }
        record(final, for: requests)
        return final
    }

    // MARK: Validation

    private struct Refusal: Error {
        var outcome: SettlementOutcome
    }

    /// Dates a DATETIME(6) column takes and a real grant can have.
    private static let grantTimeRange: ClosedRange<Int64> = 946_684_800_000...4_102_444_800_000  // 2000 ... 2100

    private func validate(_ request: SettlementRequest, index: Int) -> Result<PendingItem, Refusal> {
        let event = request.event
        do {
            try GrantValidation.validate(activity: event.activity, user: event.user, bonus: event.bonus, orderID: event.orderID)
        } catch {
            return .failure(Refusal(outcome: .permanent(code: error.code.rawValue, message: error.message)))
        }
        let type: RewardType
        do {
            type = try catalog.validate(event.bonus)
        } catch where error.code == .rewardTypeDisabled {
            // The grant was accepted before the switch went off: it must still be paid, later.
            return .failure(Refusal(outcome: .retriable(error.message)))
        } catch {
            return .failure(Refusal(outcome: .permanent(code: error.code.rawValue, message: error.message)))
        }
        guard Self.grantTimeRange.contains(event.grantedAtMilliseconds) else {
            return .failure(Refusal(outcome: .permanent(
                code: "invalid_granted_at", message: "granted at \(event.grantedAtMilliseconds) ms is outside 2000...2100")))
        }
        let identity = ClaimIdentity(
            userID: event.user.id, activityID: event.activity.id, rewardType: event.bonus.rewardType, amount: event.bonus.amount)
        return .success(PendingItem(index: index, request: request, identity: identity, rewardType: type))
    }

    // MARK: One batch: claim, budget, ledger, confirm

    private struct Batch: Sendable {
        var pool: MariaDBPool
        var groups: [OrderGroup]
    }

    private func settle(_ batch: Batch) async -> [(Int, SettlementOutcome)] {
        let started = ContinuousClock.now
        defer { metrics.batch(duration: ContinuousClock.now - started) }
        var outcomes: [Int: SettlementOutcome] = [:]
        let groups = batch.groups

        // 1. Claim every order id of the batch in one transaction.
        let newClaims = groups.map { group in
            let first = group.items[0]
            return NewClaim(
                orderID: group.orderID, identity: first.identity, ledger: first.rewardType.ledger,
                claimedBy: first.request.source.label,
                grantedAt: Date(timeIntervalSince1970: Double(first.request.event.grantedAtMilliseconds) / 1000),
                token: first.request.event.token)
        }
        let rows: [String: ClaimRow]
        do {
            rows = try await claims.claim(newClaims, on: batch.pool, now: WallClock.date())
        } catch {
            logger.warning("claim batch failed", metadata: ["orders": "\(groups.count)", "error": "\(error)"])
            return groups.flatMap { $0.items.map { ($0.index, .retriable("claim: \(error)")) } }
        }
        let decisions = ClaimDecisions(groups: groups, rows: rows)
        await recordConflicts(decisions, on: batch.pool, &outcomes)
        for item in decisions.unclaimed { outcomes[item.index] = .retriable("claim row missing after claim") }
        var pending: [ClaimDecisions.Settler] = []
        for settler in decisions.settlers {
            if settler.row.state == .credited {
                outcomes[settler.item.index] = .alreadyCredited
            } else {
                pending.append(settler)  // new, or left claimed by an attempt that stopped before confirming
            }
        }
        pending = halt(after: .claim, pending, &outcomes)

        // 2. Reserve budget where the activity has one.
        pending = await reserveBudget(pending, &outcomes)
        pending = halt(after: .budget, pending, &outcomes)

        // 3. Credit, batched per ledger; 4. confirm the credited claims in one statement.
        var credited = await credit(pending, &outcomes)
        credited = halt(after: .ledger, credited, &outcomes)
        do {
            try await claims.confirm(credited.map { ($0.settler.item.orderID, $0.reference) }, on: batch.pool, now: WallClock.date())
            for entry in credited {
                outcomes[entry.settler.item.index] = entry.isNew ? .credited(ledgerReference: entry.reference) : .alreadyCredited
            }
        } catch {
            // The ledger has it; the claim stays `claimed` and the next attempt confirms it.
            logger.warning("confirm failed after credit", metadata: ["orders": "\(credited.count)", "error": "\(error)"])
            for entry in credited { outcomes[entry.settler.item.index] = .retriable("confirm: \(error)") }
        }

        for (item, settlerIndex) in decisions.duplicates {
            switch outcomes[settlerIndex] {
            case .credited, .alreadyCredited: outcomes[item.index] = .alreadyCredited
            case let other?: outcomes[item.index] = other
            case nil: outcomes[item.index] = .retriable("duplicate of an unsettled request")
            }
        }
        return outcomes.map { ($0.key, $0.value) }
    }

    /// Records the batch's conflicts before answering them: a conflict is only reported once it
    /// is in `order_anomalies`. A failure here touches the conflicting requests only.
    private func recordConflicts(_ decisions: ClaimDecisions, on pool: MariaDBPool, _ outcomes: inout [Int: SettlementOutcome]) async {
        guard !decisions.conflicts.isEmpty else { return }
        do {
            try await claims.recordAnomalies(decisions.anomalies, on: pool, now: WallClock.date())
        } catch {
            logger.warning("recording conflicts failed", metadata: ["conflicts": "\(decisions.conflicts.count)", "error": "\(error)"])
            for (item, _) in decisions.conflicts { outcomes[item.index] = .retriable("recording the conflict: \(error)") }
            return
        }
        for (item, conflict) in decisions.conflicts {
            logger.error("order id reused with another identity: refused, recorded in order_anomalies", metadata: [
                "order_id": "\(conflict.orderID)", "differs": "\(conflict.differingFields.joined(separator: ","))",
                "source": "\(item.request.source.detail)",
            ])
            outcomes[item.index] = .conflict(conflict)
        }
    }

    private func halt<Entry>(after step: SettlementStep, _ entries: [Entry], _ outcomes: inout [Int: SettlementOutcome]) -> [Entry]
    where Entry: SettlerCarrying {
        guard configuration.faults.haltAfter.contains(step) else { return entries }
        for entry in entries { outcomes[entry.settler.item.index] = .retriable("halted after \(step.rawValue) (fault injection)") }
        return []
    }

    private func reserveBudget(_ pending: [ClaimDecisions.Settler], _ outcomes: inout [Int: SettlementOutcome]) async
        -> [ClaimDecisions.Settler]
    {
        guard !pending.isEmpty else { return [] }
        let chunks = shardedChunks(pending, shards: stores.budgets, maxChunk: .max) { $0.row.identity.activityID }
        struct Result: Sendable {
            var decisions: [String: BudgetDecision]
            var failure: String?
        }
        let results = await concurrentMap(chunks.map { BudgetChunk(pool: $0.pool, settlers: $0.items) }, limit: 4) {
            [self] chunk -> Result in
            let requests = chunk.settlers.map {
                BudgetRequest(orderID: $0.item.orderID, activityID: $0.row.identity.activityID,
                              rewardType: $0.row.identity.rewardType, amount: $0.row.identity.amount)
            }
            do {
                let (decisions, levels) = try await budgets.reserve(requests, on: chunk.pool, now: WallClock.date())
                for level in levels {
                    metrics.budget(level)
                    if level.crossedWarning {
                        logger.warning("budget passed its warning level", metadata: [
                            "activity": "\(level.activityID)", "reward_type": "\(level.rewardType)",
                            "issued": "\(level.issued)", "cap": "\(level.cap)", "warn_percent": "\(level.warnPercent)",
                        ])
                    }
                }
                return Result(decisions: decisions)
            } catch {
                logger.warning("budget batch failed", metadata: ["orders": "\(requests.count)", "error": "\(error)"])
                return Result(decisions: [:], failure: "budget: \(error)")
            }
        }
        var passed: [ClaimDecisions.Settler] = []
        for (chunk, result) in zip(chunks, results) {
            for settler in chunk.items {
                let index = settler.item.index
                if let failure = result.failure {
                    outcomes[index] = .retriable(failure)
                    continue
                }
                switch result.decisions[settler.item.orderID] {
                case .unbudgeted?, .reserved?:
                    passed.append(settler)
                case .held?:
                    let identity = settler.row.identity
                    outcomes[index] = .heldForBudget(
                        "budget of activity \(identity.activityID) for \(identity.rewardType) is spent; held until the cap is raised")
                case nil:
                    outcomes[index] = .retriable("budget: no decision")
                }
            }
        }
        return passed
    }

    private struct BudgetChunk: Sendable {
        var pool: MariaDBPool
        var settlers: [ClaimDecisions.Settler]
    }

    struct Credited: Sendable, SettlerCarrying {
        var settler: ClaimDecisions.Settler
        var reference: String
        var isNew: Bool
    }

    private func credit(_ pending: [ClaimDecisions.Settler], _ outcomes: inout [Int: SettlementOutcome]) async -> [Credited] {
        guard !pending.isEmpty else { return [] }
        var byLedger: [String: [ClaimDecisions.Settler]] = [:]
        for settler in pending { byLedger[settler.row.ledger, default: []].append(settler) }
        var calls: [LedgerCall] = []
        for (ledgerID, settlers) in byLedger.sorted(by: { $0.key < $1.key }) {
            guard let ledger = ledgers.ledger(for: ledgerID) else {
                for settler in settlers {
                    outcomes[settler.item.index] = .permanent(
                        code: "unknown_ledger", message: "no ledger '\(ledgerID)' is configured for \(settler.row.identity.rewardType)")
                }
                continue
            }
            calls.append(LedgerCall(ledger: ledger, settlers: settlers))
        }
        let results = await concurrentMap(calls, limit: max(1, calls.count)) { [metrics] call -> [LedgerResult] in
            let credits = call.settlers.map { settler in
                LedgerCredit(
                    orderID: settler.item.request.event.orderID, userID: settler.row.identity.userID,
                    activityID: settler.row.identity.activityID, rewardType: settler.row.identity.rewardType,
                    amount: settler.row.identity.amount, unit: settler.item.rewardType.unit,
                    grantedAt: Date(timeIntervalSince1970: Double(settler.item.request.event.grantedAtMilliseconds) / 1000))
            }
            let started = ContinuousClock.now
            let results = await call.ledger.credit(credits)
            metrics.ledgerCall(call.ledger.id, duration: ContinuousClock.now - started, results: results)
            return results
        }
        var credited: [Credited] = []
        for (call, callResults) in zip(calls, results) {
            for (offset, settler) in call.settlers.enumerated() {
                let result = offset < callResults.count ? callResults[offset] : .retriable("ledger \(call.ledger.id) gave too few results")
                switch result {
                case .credited(let reference):
                    credited.append(Credited(settler: settler, reference: reference, isNew: true))
                case .alreadyCredited(let reference):
                    credited.append(Credited(settler: settler, reference: reference, isNew: false))
                case .retriable(let reason):
                    outcomes[settler.item.index] = .retriable("ledger \(call.ledger.id): \(reason)")
                case .permanent(let code, let message):
                    outcomes[settler.item.index] = .permanent(code: code, message: "ledger \(call.ledger.id): \(message)")
                }
            }
        }
        return credited
    }

    private struct LedgerCall: Sendable {
        var ledger: any Ledger
        var settlers: [ClaimDecisions.Settler]
    }

    // MARK: Metrics

    private func record(_ outcomes: [SettlementOutcome], for requests: [SettlementRequest]) {
        var counts: [String: [String: Int]] = [:]
        for (request, outcome) in zip(requests, outcomes) {
            // Only catalog types become a dimension: outside data must not grow the label set.
            let type = catalog[request.event.bonus.rewardType] == nil ? "unknown" : request.event.bonus.rewardType
            counts[type, default: [:]][outcome.label, default: 0] += 1
        }
        metrics.outcomes(counts)
    }
}

/// Something in flight that belongs to a settler (for the fault-injection halt).
protocol SettlerCarrying {
    var settler: ClaimDecisions.Settler { get }
}

extension ClaimDecisions.Settler: SettlerCarrying {
    var settler: ClaimDecisions.Settler { self }
}
