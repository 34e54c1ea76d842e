import Foundation
import RewardCore
import RewardTestKit
@testable import RewardSettlement

// MARK: Building requests

/// A grant as the SDK would produce it, with a token the test key ring signed.
func makeEvent(
    order: String, user: String, type: String = "cash_red_envelope", amount: Int64, activity: String = "fest",
    lane: Lane = .cash
) -> BonusEvent {
    TestGrants.event(order: order, user: user, type: type, amount: amount, activity: activity, lane: lane)
}

func consumerSource(_ offset: Int64 = 0) -> SettlementSource {
    .consumer(cluster: "A", topic: "reward-cash", partition: 0, offset: offset)
}

extension SettlementOutcome {
    var isCredited: Bool {
        if case .credited = self { return true }
        return false
    }

    var isConflict: Bool {
        if case .conflict = self { return true }
        return false
    }

    var isRetriable: Bool {
        if case .retriable = self { return true }
        return false
    }

    var conflict: SettlementConflict? {
        if case .conflict(let conflict) = self { return conflict }
        return nil
    }

    var permanentCode: String? {
        if case .permanent(let code, _) = self { return code }
        return nil
    }

    var isHeld: Bool {
        if case .heldForBudget = self { return true }
        return false
    }
}

/// Counts of outcomes by label.
func tally(_ outcomes: [SettlementOutcome]) -> [String: Int] {
    outcomes.reduce(into: [:]) { $0[$1.label, default: 0] += 1 }
}
