import DownstreamSimulator
import Foundation
import MariaDB
import RewardCore

/// The invariants after a chaos run, read with SQL straight from the stores and from the partner
/// simulator's own books, checked against what the traffic sent and was answered (never through
/// the code under test).
struct ChaosBooks {
    typealias Check = RainBooks.Check

    /// One credit as a ledger holds it.
    struct Credit: Sendable {
        var ledger: String
        var type: String
        var amount: Int64?
        var user: String?
    }

    let pool: MariaDBPool
    let simulator: DownstreamSimulator
    let keyRing: TokenKeyRing
    let sent: [String: Set<ChaosGrants.Variant>]
    let answered: [String: Set<ChaosGrants.Variant>]

    /// Every credit of every ledger, by order id: the wallet's user legs, the goods rows and the partner's books.
    func credits() async throws -> [String: [Credit]] {
        var credits: [String: [Credit]] = [:]
        for row in try await pool.query("""
            SELECT order_id, reward_type, amount, user_id FROM wallet_entries
            WHERE account = user_id AND transfer_id LIKE 'credit:%'
            """) {
            credits[try row.decode("order_id", as: String.self), default: []].append(Credit(
                ledger: "wallet", type: try row.decode("reward_type", as: String.self), amount: try row.decode("amount", as: Int64.self),
                user: try row.decode("user_id", as: String.self)))
        }
        for row in try await pool.query("SELECT order_id, item_type, CAST(quantity AS SIGNED) AS quantity, user_id FROM goods_grants") {
            credits[try row.decode("order_id", as: String.self), default: []].append(Credit(
                ledger: "goods", type: try row.decode("item_type", as: String.self), amount: try row.decode("quantity", as: Int64.self),
                user: try row.decode("user_id", as: String.self)))
        }
        for order in simulator.creditedOrderIDs() {
            credits[order, default: []].append(Credit(ledger: "partner", type: "prize_partner", amount: nil, user: nil))
        }
        return credits
    }

    /// I1: every answered grant credited exactly once in exactly one ledger; nothing sent is
    /// credited twice; nothing never sent (a forgery, a poison) is credited at all.
    func exactlyOnce(_ credits: [String: [Credit]]) -> Check {
        var check = Check(name: "I1 every accepted grant credited exactly once, in one ledger")
        for order in answered.keys.sorted() {
            let found = credits[order] ?? []
            check.count(found.count != 1, "\(order): \(found.count) credit(s) \(found.map(\.ledger))")
        }
        for (order, found) in credits.sorted(by: { $0.key < $1.key }) where answered[order] == nil {
            if sent[order] == nil {
                check.count(true, "\(order): credited in \(found.map(\.ledger)) but never granted")
            } else {
                check.count(found.count > 1, "\(order) (sent, unanswered): \(found.count) credits")
            }
        }
        return check
    }

    /// I2: each credit is one of the variants sent for its order (type, amount, user), and the
    /// credited sums per type equal the sums of the variants credited.
    func amounts(_ credits: [String: [Credit]]) -> (Check, [String: (count: Int, amount: Int64)]) {
        var check = Check(name: "I2 credited amounts equal the grants, per reward type")
        var byType: [String: (count: Int, amount: Int64)] = [:]
        for (order, found) in credits.sorted(by: { $0.key < $1.key }) {
            guard let variants = sent[order] else { continue }  // I1 reports it
            for credit in found {
                let matches = variants.contains {
                    $0.type == credit.type && (credit.amount == nil || $0.amount == credit.amount) && (credit.user == nil || $0.user == credit.user)
                }
                check.count(!matches, "\(order): credited \(credit.type) \(credit.amount.map(String.init) ?? "?") to "
                                + "\(credit.user ?? "?"), sent as \(variants.map { "\($0.type) \($0.amount) \($0.user)" })")
                let previous = byType[credit.type] ?? (0, 0)
                byType[credit.type] = (previous.count + 1, previous.amount + (credit.amount ?? 1))
            }
        }
        return (check, byType)
    }

    /// I3: every transfer's legs sum to zero; no account is negative.
    func doubleEntry() async throws -> Check {
        var check = Check(name: "I3 every transfer sums to 0; no balance negative")
        let transfers = try await pool.query("""
            SELECT transfer_id, CAST(SUM(amount) AS SIGNED) AS total FROM wallet_entries GROUP BY transfer_id
            """)
        for row in transfers {
            let (transfer, total) = (try row.decode("transfer_id", as: String.self), try row.decode("total", as: Int64.self))
            check.count(total != 0, "transfer \(transfer) sums to \(total)")
        }
        for row in try await pool.query("SELECT user_id, currency, balance FROM wallet_accounts") {
            let (user, balance) = (try row.decode("user_id", as: String.self), try row.decode("balance", as: Int64.self))
            check.count(balance < 0, "\(user) has \(balance)")
        }
        return check
    }

    /// I4: every credited claim carries a token that verifies for its order, user, type, amount
    /// and activity under the run's key; a conflicting reuse of an order id was never paid (I1 and
    /// I2 together: one credit, of one variant).
    func tokens() async throws -> Check {
        var check = Check(name: "I4 every credit has a token that verifies")
        for row in try await pool.query("""
            SELECT order_id, user_id, reward_type, amount, activity_id, token FROM order_claims WHERE state = 'credited'
            """) {
            let order = try row.decode("order_id", as: String.self)
            let subject = TokenSubject(orderID: OrderID(order), userID: try row.decode("user_id", as: String.self),
                                       rewardType: try row.decode("reward_type", as: String.self),
                                       amount: try row.decode("amount", as: Int64.self), activityID: try row.decode("activity_id", as: String.self))
            guard let token = try row.decode("token", as: String?.self) else {
                check.count(true, "\(order): credited without a token")
                continue
            }
            do {
                _ = try keyRing.check(token, for: subject, now: nil)
                check.count(false, "")
            } catch {
                check.count(true, "\(order): \(error)")
            }
        }
        return check
    }

    /// I5: the partner never admitted more in one 100 ms slice of the senders' clocks than the fleet rate allows.
    func partnerRate(limitPerSlice: Int) -> Check {
        var check = Check(name: "I5 the partner saw at most its fleet rate per 100 ms slice")
        let stats = simulator.stats
        check.count(stats.maxPerPacedSlice > limitPerSlice,
                    "busiest paced slice \(stats.maxPerPacedSlice) > \(limitPerSlice) (arrival \(stats.maxPerSlice))")
        return check
    }

    /// Every poison record ended in a dead letter (none lost silently, none credited: I1); the
    /// dead letters by reason, for the report.
    func deadLetters(poisoned: Int) async throws -> (Check, [String: Int]) {
        var check = Check(name: "every poison record dead-lettered")
        var reasons: [String: Int] = [:]
        for row in try await pool.query("SELECT reason_code, COUNT(*) AS n FROM dead_letters GROUP BY reason_code") {
            reasons[try row.decode("reason_code", as: String.self)] = try row.decode("n", as: Int.self)
        }
        let count = reasons.values.reduce(0, +)
        check.count(count < poisoned, "\(count) dead letters for \(poisoned) poison records")
        return (check, reasons)
    }
}
