import Foundation
import RewardCore
import RewardSettlement

extension WithdrawalService {
    /// Verifies the user's unsettled tokens (stored and presented) and settles the genuine ones
    /// through the engine, now. Never throws: a store that does not answer means fewer rewards
    /// settled here (consumers settle them later), never money moved without a verified token.
    func settlePending(_ request: WithdrawalRequest) async -> PendingSettlement {
        let now = WallClock.date()
        var result = PendingSettlement()
        let candidates = await candidates(for: request)
        let statuses = await claimStatuses(candidates, user: request.userID)

        var toSettle: [(candidate: TokenCandidate, grant: VerifiedGrant)] = []
        for candidate in candidates {
            let status = statuses[candidate.orderID] ?? .pending
            // A stored token already credited is in the balance; nothing to check or say.
            if case .stored = candidate.origin, status == .credited { continue }
            let grant: VerifiedGrant
            switch verifier.verify(candidate, user: request.userID, currency: request.currency, now: now) {
            case .failure(let rejection):
                result.rejected.append(rejection)
                continue
            case .success(let verified):
                grant = verified
            }
            switch status {
            case .credited:
                result.settled.append(settled(candidate, outcome: "already_credited"))
            case .conflict(let claimed):
                result.rejected.append(conflict(candidate, claimed: claimed, user: request.userID))
            case .pending:
                toSettle.append((candidate, grant))
            }
        }

        let outcomes = await engine.settle(toSettle.map {
            SettlementRequest(grant: $0.grant, source: .withdrawal(requestID: request.requestID))
        })
        for ((candidate, _), outcome) in zip(toSettle, outcomes) {
            switch outcome {
            case .credited:
                result.settled.append(settled(candidate, outcome: "credited"))
            case .alreadyCredited:
                result.settled.append(settled(candidate, outcome: "already_credited"))
            case .conflict(let conflict):
                result.rejected.append(self.conflict(candidate, claimed: conflict.claimed, user: request.userID))
            case .heldForBudget:
                result.unsettled.append(UnsettledReward(orderID: candidate.orderID, reason: "held_for_budget"))
            case .retriable:
                result.unsettled.append(UnsettledReward(orderID: candidate.orderID, reason: "retry_later"))
            case .permanent(let code, let message):
                result.rejected.append(candidate.rejection("settlement_refused", "\(code): \(message)"))
            }
        }
        await recordPresented(toSettle.map(\.candidate), outcomes: outcomes, user: request.userID)

        for rejection in result.rejected { metrics.rejected(rejection.reason) }
        metrics.forceSettled("credited", count: result.settled.filter { $0.outcome == "credited" }.count)
        metrics.forceSettled("already_credited", count: result.settled.filter { $0.outcome == "already_credited" }.count)
        if !result.rejected.isEmpty {
            logger.notice("withdrawal refused tokens", metadata: [
                "request": "\(request.requestID)", "rejected": "\(result.rejected.count)",
            ])
        }
        return result
    }

    /// The user's stored tokens in this currency, then the presented ones (a presented copy of a
    /// stored token is dropped; a presented token for a stored order id takes the stored activity,
    /// which a version 1 token needs: it does not bind the activity, so a client cannot name it).
    private func candidates(for request: WithdrawalRequest) async -> [TokenCandidate] {
        var stored: [StoredToken] = []
        do {
            stored = try await tokens.recent(user: request.userID, rewardTypes: walletTypes(for: request.currency),
                                             limit: configuration.pendingScanLimit)
        } catch {
            // Non-core: presented tokens still settle; stored ones wait for the consumers.
            logger.warning("withdrawal: tokens store unavailable", metadata: ["error": "\(error)"])
        }
        var candidates = stored.map {
            TokenCandidate(origin: .stored, token: $0.token, orderID: $0.orderID, rewardType: $0.rewardType, amount: $0.amount,
                           activityID: $0.activityID, sceneID: $0.sceneID, activityFromStore: true)
        }
        let storedByOrder = Dictionary(stored.map { ($0.orderID, $0) }, uniquingKeysWith: { a, _ in a })
        var seen = Set<PresentedToken>()
        for (index, presented) in request.presentedTokens.enumerated() where seen.insert(presented).inserted {
            var candidate = TokenCandidate(
                origin: .presented(index: index), token: presented.token, orderID: presented.orderID,
                rewardType: presented.rewardType, amount: presented.amount, activityID: presented.activityID,
                sceneID: presented.sceneID, activityFromStore: false)
            if let known = storedByOrder[presented.orderID] {
                if known.token == presented.token, known.rewardType == presented.rewardType, known.amount == presented.amount {
                    continue
                }
                candidate.activityID = known.activityID
                candidate.sceneID = known.sceneID
                candidate.activityFromStore = true
            }
            candidates.append(candidate)
        }
        return candidates
    }

    /// Claim status per order id; every candidate pending when the claims store does not answer
    /// (the engine then decides, with the same rules).
    private func claimStatuses(_ candidates: [TokenCandidate], user: String) async -> [String: ClaimStatus] {
        guard !candidates.isEmpty else { return [:] }
        let rows: [String: ClaimSnapshot]
        do {
            rows = try await claims.read(candidates.map(\.orderID).filter { Identifiers.isValid($0, maximum: 128) })
        } catch {
            logger.warning("withdrawal: claims unreadable, settling every candidate", metadata: ["error": "\(error)"])
            return [:]
        }
        var statuses: [String: ClaimStatus] = [:]
        for candidate in candidates where statuses[candidate.orderID] == nil || candidate.origin == .stored {
            let identity = ClaimIdentity(userID: user, activityID: candidate.activityID, rewardType: candidate.rewardType,
                                         amount: candidate.amount)
            statuses[candidate.orderID] = ClaimReader.status(of: identity, claim: rows[candidate.orderID])
        }
        return statuses
    }

    private func settled(_ candidate: TokenCandidate, outcome: String) -> SettledReward {
        SettledReward(orderID: candidate.orderID, rewardType: candidate.rewardType, amount: candidate.amount, outcome: outcome)
    }

    private func conflict(_ candidate: TokenCandidate, claimed: ClaimIdentity, user: String) -> TokenRejection {
        claimed.userID != user
            ? candidate.rejection("order_claimed_by_another_user", "this order id was granted to another user")
            : candidate.rejection("order_id_conflict", "this order id was granted with another reward type, amount or activity")
    }

    /// Presented tokens that settled go into the tokens store, so the wallet page lists them.
    private func recordPresented(_ candidates: [TokenCandidate], outcomes: [SettlementOutcome], user: String) async {
        let now = WallClock.date()
        let rows = zip(candidates, outcomes).compactMap { candidate, outcome -> StoredToken? in
            guard case .presented = candidate.origin, outcome.isSettled, let parsed = try? RewardToken(parsing: candidate.token)
            else { return nil }
            return StoredToken(
                orderID: candidate.orderID, token: candidate.token, activityID: candidate.activityID, sceneID: candidate.sceneID,
                rewardType: candidate.rewardType, amount: candidate.amount,
                issuedAt: Date(timeIntervalSince1970: TimeInterval(parsed.issuedAt)),
                expiresAt: Date(timeIntervalSince1970: TimeInterval(parsed.expiresAt)))
        }
        do {
            try await tokens.record(user: user, rows, now: now)
        } catch {
            logger.warning("withdrawal: presented tokens not recorded", metadata: ["error": "\(error)"])
        }
    }
}
