import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import MariaDB

/// What the ledgers themselves say was credited for one rain, read after (and while) it settles:
/// the wallet's user legs, the goods ledger's rows, and the partner simulator's own count.
struct RainLedgers {
    /// Credited by reward type: distinct credits and their sum, per ledger.
    struct Credits {
        var byType: [String: (ledger: String, count: Int, amount: Int64)] = [:]
    }

    let pool: MariaDBPool
    let activityID: String
    let simulatorURL: String?

    /// Claims confirmed credited so far (any ledger).
    func creditedClaims() async throws -> Int {
        let rows = try await pool.query(
            "SELECT COUNT(*) AS n FROM order_claims WHERE activity_id = \(activityID) AND state = 'credited'")
        return try rows.first?.decode("n", as: Int.self) ?? 0
    }

    /// Parked records of this rain (order ids carry the activity id: `rain:<activity>:…`).
    func deadLetters() async throws -> Int {
        let rows = try await pool.query("SELECT COUNT(*) AS n FROM dead_letters WHERE order_id LIKE \("rain:\(activityID):%")")
        return try rows.first?.decode("n", as: Int.self) ?? 0
    }

    func credits() async throws -> Credits {
        var credits = Credits()
        let wallet = try await pool.query("""
            SELECT reward_type, COUNT(*) AS n, CAST(SUM(amount) AS SIGNED) AS total FROM wallet_entries
            WHERE activity_id = \(activityID) AND account = user_id AND transfer_id LIKE 'credit:%'
            GROUP BY reward_type
            """)
        for row in wallet {
            credits.byType[try row.decode("reward_type", as: String.self)] =
                ("wallet", try row.decode("n", as: Int.self), try row.decode("total", as: Int64.self))
        }
        let goods = try await pool.query("""
            SELECT item_type, COUNT(*) AS n, CAST(SUM(quantity) AS SIGNED) AS total FROM goods_grants
            WHERE activity_id = \(activityID) GROUP BY item_type
            """)
        for row in goods {
            credits.byType[try row.decode("item_type", as: String.self)] =
                ("goods", try row.decode("n", as: Int.self), try row.decode("total", as: Int64.self))
        }
        if let accepted = try await simulatorAccepted() {
            // The partner ledger counts the credits it accepted; each partner prize is one item.
            credits.byType["prize_partner"] = ("http:partner-prizes", accepted, Int64(accepted))
        }
        return credits
    }

    /// Achieved settle rate per type: credits over the span from the first to the last credit.
    func achievedRates() async throws -> [String: Double] {
        let rows = try await pool.query("""
            SELECT reward_type, COUNT(*) AS n,
                   TIMESTAMPDIFF(MICROSECOND, MIN(credited_at), MAX(credited_at)) AS span
            FROM order_claims WHERE activity_id = \(activityID) AND state = 'credited' GROUP BY reward_type
            """)
        var rates: [String: Double] = [:]
        for row in rows {
            let count = try row.decode("n", as: Int.self)
            let span = max(1, try row.decode("span", as: Int64?.self) ?? 1)
            rates[try row.decode("reward_type", as: String.self)] = count > 1 ? Double(count - 1) / (Double(span) / 1e6) : 0
        }
        return rates
    }

    /// Grant-to-credit delay of every credited claim.
    func settleDelays() async throws -> Latencies {
        let rows = try await pool.query("""
            SELECT TIMESTAMPDIFF(MICROSECOND, granted_at, credited_at) AS delay
            FROM order_claims WHERE activity_id = \(activityID) AND state = 'credited'
            """)
        var latencies = Latencies()
        for row in rows {
            latencies.record(nanoseconds: UInt64(max(0, try row.decode("delay", as: Int64.self))) * 1_000)
        }
        return latencies
    }

    /// The partner simulator's count of this rain's credits (order ids `rain:<activity>:…`), or nil
    /// when no simulator is configured. Asked by prefix: a spool replayed from an earlier run may
    /// have credited that run's prizes here too.
    private func simulatorAccepted() async throws -> Int? {
        guard let simulatorURL else { return nil }
        var components = URLComponents(string: simulatorURL + "/credits/count")
        components?.queryItems = [URLQueryItem(name: "orderPrefix", value: "rain:\(activityID):")]
        guard let url = components?.url else { return nil }
        let (data, _) = try await URLSession.shared.data(from: url)
        struct Count: Decodable { var count: Int }
        return try JSONDecoder().decode(Count.self, from: data).count
    }
}
