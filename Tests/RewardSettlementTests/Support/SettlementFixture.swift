import Foundation
import RewardCore
@testable import RewardSettlement

// MARK: Building requests

/// A grant as the SDK would produce it.
func makeEvent(
    order: String, user: String, type: String = "cash_red_envelope", amount: Int64, activity: String = "fest",
    lane: Lane = .cash
) -> BonusEvent {
    BonusEvent(
        orderID: OrderID(order), activity: Activity(id: activity, sceneID: "rain"),
        user: User(id: user, deviceID: "device-\(user)", appID: "app"),
        bonus: BonusContent(rewardType: type, amount: amount), lane: lane,
        grantedAtMilliseconds: 1_790_000_000_000, token: "token-\(order)")
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
