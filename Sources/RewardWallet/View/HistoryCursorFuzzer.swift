import MariaDB
package import RewardCore

/// Fuzz target `wallet-cursor`: the `cursor` a client sends with a wallet page request, through
/// `HistoryCursor.decode` and the conditions each history source appends for it.
///
/// Invariants: a refusal is `invalid_cursor`; an accepted cursor is a position the store can
/// bind (its time is a `DATETIME(6)`), and encoding it gives a cursor that decodes to it again.
package struct HistoryCursorFuzzer: Fuzzer {
    package init() {}

    package func run(_ input: [UInt8]) throws(FuzzFailure) -> FuzzOutcome {
        let text = String(decoding: input, as: UTF8.self)
        let position: HistoryPosition
        do {
            position = try HistoryCursor.decode(text)
        } catch {
            try fuzzExpect(error.code == .invalidCursor, "a cursor refused with \(error.code)")
            return .refused
        }
        try fuzzExpect(HistoryCursor.microsRange.contains(position.micros),
                       "cursor accepted at \(position.micros) µs, outside what DATETIME(6) holds")
        let again = try? HistoryCursor.decode(HistoryCursor.encode(position))
        try fuzzExpect(again == position, "position \(position) does not survive encode and decode")
        for rank in [HistoryPosition.tokenRank, HistoryPosition.entryRank, HistoryPosition.goodsRank] {
            var query = SQLQuery(sql: "SELECT 1 FROM t WHERE user_id = ?", binds: [.string("u1")])
            position.appendCondition(to: &query, rank: rank, time: "created_at", id: "id", idValue: position.id)
            let dates = query.binds.filter { if case .date = $0 { true } else { false } }.count
            try fuzzExpect(dates == (rank == position.rank ? 2 : 1) && query.binds.count == 1 + (rank == position.rank ? 3 : 1),
                           "the condition for source \(rank) after \(position) binds \(query.binds)")
        }
        return .accepted
    }

    // MARK: Seeds

    /// The cursor the wallet returns for a page ending at this position.
    package static func cursor(micros: Int64, rank: Int, id: String) -> String {
        HistoryCursor.encode(HistoryPosition(micros: micros, rank: rank, id: id))
    }
}
