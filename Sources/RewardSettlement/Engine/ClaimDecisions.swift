import RewardCore

/// A request that passed validation, with what the engine needs to settle it.
struct PendingItem: Sendable {
    var index: Int
    var request: SettlementRequest
    var identity: ClaimIdentity
    var rewardType: RewardType

    var orderID: String { request.event.orderID.rawValue }
}

/// Every valid occurrence of one order id in a `settle` call, in input order.
struct OrderGroup: Sendable {
    var orderID: String
    var items: [PendingItem]
}

/// Who settles each order id, given the claim rows: the first occurrence whose identity matches
/// the claim is the settler, later matching ones are duplicates of it, the others are conflicts.
struct ClaimDecisions: Sendable {
    struct Settler: Sendable {
        var item: PendingItem
        var row: ClaimRow
    }

    var settlers: [Settler] = []
    /// Duplicates inside the call and the input index of the settler they repeat.
    var duplicates: [(item: PendingItem, settlerIndex: Int)] = []
    var conflicts: [(item: PendingItem, conflict: SettlementConflict)] = []
    /// No claim row: cannot happen after a committed claim, answered as retriable if it does.
    var unclaimed: [PendingItem] = []

    init(groups: [OrderGroup], rows: [String: ClaimRow]) {
        for group in groups {
            guard let row = rows[group.orderID] else {
                unclaimed += group.items
                continue
            }
            var settlerIndex: Int?
            for item in group.items {
                if item.identity != row.identity {
                    conflicts.append((item, SettlementConflict(orderID: group.orderID, claimed: row.identity, incoming: item.identity)))
                } else if let settlerIndex {
                    duplicates.append((item, settlerIndex))
                } else {
                    settlerIndex = item.index
                    settlers.append(Settler(item: item, row: row))
                }
            }
        }
    }

    /// The conflicts as anomaly records.
    var anomalies: [OrderAnomaly] {
        conflicts.map { OrderAnomaly(conflict: $0.conflict, source: $0.item.request.source.detail) }
    }
}
