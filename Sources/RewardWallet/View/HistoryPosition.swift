import Foundation
import MariaDB

/// A place in the merged history: newest first by time, then by source (tokens, wallet entries,
/// goods grants), then by the source's own id, descending. The opaque cursor encodes one.
///
/// Each source is read with the condition "after this position" in its own terms, so a page
/// never repeats or skips an item, even when many items share a timestamp (a settlement batch
/// writes hundreds of entries with one `created_at`).
struct HistoryPosition: Sendable, Hashable, Comparable {
    static let tokenRank = 0
    static let entryRank = 1
    static let goodsRank = 2

    /// Microseconds since the Unix epoch (what `DATETIME(6)` holds).
    var micros: Int64
    var rank: Int
    /// The source's id: the order id for tokens, the row id for entries and goods grants.
    var id: String

    init(micros: Int64, rank: Int, id: String) {
        self.micros = micros
        self.rank = rank
        self.id = id
    }

    init(date: Date, rank: Int, id: String) {
        self.init(micros: Self.micros(date), rank: rank, id: id)
    }

    static func micros(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    var date: Date { Date(timeIntervalSince1970: Double(micros) / 1_000_000) }

    /// History order: `a < b` when `a` comes first (newer, or same time and an earlier source, or
    /// same source and a larger id).
    static func < (a: HistoryPosition, b: HistoryPosition) -> Bool {
        if a.micros != b.micros { return a.micros > b.micros }
        if a.rank != b.rank { return a.rank < b.rank }
        return idDescending(a.id, b.id, numeric: a.rank != tokenRank)
    }

    private static func idDescending(_ a: String, _ b: String, numeric: Bool) -> Bool {
        if numeric, let x = UInt64(a), let y = UInt64(b) { return x > y }
        // Tokens: MariaDB compares order ids with the binary collation (utf8mb4_bin): bytewise.
        return Array(b.utf8).lexicographicallyPrecedes(Array(a.utf8))
    }

    /// Appends ` AND <rows of this source that come after this position>`.
    func appendCondition(to query: inout SQLQuery, rank sourceRank: Int, time: String, id idColumn: String,
                         idValue: some MariaDBEncodable) {
        if sourceRank > rank {
            query.append(sql: " AND \(time) <= ")
            query.append(bind: date)
        } else if sourceRank < rank {
            query.append(sql: " AND \(time) < ")
            query.append(bind: date)
        } else {
            query.append(sql: " AND (\(time) < ")
            query.append(bind: date)
            query.append(sql: " OR (\(time) = ")
            query.append(bind: date)
            query.append(sql: " AND \(idColumn) < ")
            query.append(bind: idValue)
            query.append(sql: "))")
        }
    }
}

/// The opaque cursor of a history page: `h1.` and the base64url of `micros|rank|id`.
enum HistoryCursor {
    /// The instants a `DATETIME(6)` holds (1000-01-01 to 9999-12-31, in microseconds since the
    /// epoch). A position outside them cannot be bound to a query: before this check such a cursor
    /// reached the store and came back as "wallet unavailable" instead of an invalid cursor.
    static let storableMicros: ClosedRange<Int64> = -30_610_224_000_000_000...253_402_300_799_999_999

    static func encode(_ position: HistoryPosition) -> String {
        let text = "\(position.micros)|\(position.rank)|\(position.id)"
        let base64 = Data(text.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return "h1." + base64
    }

    /// - Throws: ``WalletError/Code/invalidCursor`` for anything this function did not make.
    static func decode(_ cursor: String) throws(WalletError) -> HistoryPosition {
        let invalid = WalletError(.invalidCursor, "the cursor is not one this service returned")
        guard cursor.hasPrefix("h1."), cursor.utf8.count <= 400 else { throw invalid }
        var base64 = String(cursor.dropFirst(3)).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8) else { throw invalid }
        let parts = text.split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let micros = Int64(parts[0]), storableMicros.contains(micros), let rank = Int(parts[1]),
              (HistoryPosition.tokenRank...HistoryPosition.goodsRank).contains(rank), !parts[2].isEmpty, parts[2].utf8.count <= 160
        else { throw invalid }
        let id = String(parts[2])
        if rank != HistoryPosition.tokenRank, UInt64(id) == nil { throw invalid }
        return HistoryPosition(micros: micros, rank: rank, id: id)
    }
}
