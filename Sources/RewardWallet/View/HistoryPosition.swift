import Foundation
import MariaDB
import RewardCore

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
///
/// A cursor comes back from the caller, so ``decode(_:)`` trusts nothing in it: it accepts exactly
/// the texts ``encode(_:)`` makes for a position that can exist (decoding and encoding again must
/// give the same text), and every number is range-checked before a query binds it.
enum HistoryCursor {
    static let prefix = "h1."
    /// What a cursor holds at most (a 128-byte order id, 20 digits of time, the separators, base64).
    static let maximumLength = 400
    /// The times a position may hold: what a `DATETIME(6)` column can hold (1000-01-01T00:00:00Z
    /// through 9999-12-31T23:59:59Z), in whole seconds at the top so that the `Double` of
    /// ``HistoryPosition/date`` cannot round into year 10000. Outside it, binding the time fails.
    static let microsRange: ClosedRange<Int64> = -30_610_224_000_000_000...253_402_300_799_000_000

    static func encode(_ position: HistoryPosition) -> String {
        let text = "\(position.micros)|\(position.rank)|\(position.id)"
        let base64 = Data(text.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return prefix + base64
    }

    /// - Throws: ``WalletError/Code/invalidCursor`` for anything this type did not make, or for a
    ///   position outside what the stores can hold (a time outside ``microsRange``, a rank other
    ///   than the three sources, a token id that is not an order id, a row id that is not a
    ///   decimal `UInt64`).
    static func decode(_ cursor: String) throws(WalletError) -> HistoryPosition {
        let invalid = WalletError(.invalidCursor, "the cursor is not one this service returned")
        let bytes = cursor.utf8
        guard bytes.count <= maximumLength, bytes.starts(with: prefix.utf8) else { throw invalid }
        var base64 = String(decoding: bytes.dropFirst(prefix.utf8.count), as: UTF8.self)
            .replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8) else { throw invalid }
        let parts = text.split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let micros = Int64(parts[0]), microsRange.contains(micros), let rank = Int(parts[1]),
              (HistoryPosition.tokenRank...HistoryPosition.goodsRank).contains(rank)
        else { throw invalid }
        let id = String(parts[2])
        if rank == HistoryPosition.tokenRank {
            guard GrantValidation.isOrderID(id) else { throw invalid }
        } else {
            guard UInt64(id) != nil else { throw invalid }
        }
        let position = HistoryPosition(micros: micros, rank: rank, id: id)
        // One text per position: no signs, leading zeros, padding or stray low bits.
        guard encode(position) == cursor else { throw invalid }
        return position
    }
}
