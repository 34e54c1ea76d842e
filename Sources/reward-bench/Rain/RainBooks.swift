import MariaDB

/// The books after a rain with withdrawals, read with SQL straight from the stores (never through
/// the code under test): every user's balance is what was credited minus what was withdrawn, every
/// withdrawal was debited and paid out exactly once, every granted order credited exactly once.
/// Each broken rule is a violation, with a few examples to look up.
struct RainBooks {
    struct Check: Sendable {
        var name: String
        var checked = 0
        var violations = 0
        var examples: [String] = []

        mutating func count(_ broken: Bool, _ example: @autoclosure () -> String) {
            checked += 1
            guard broken else { return }
            violations += 1
            if examples.count < 3 { examples.append(example()) }
        }
    }

    let pool: MariaDBPool
    let activityID: String

    /// credited − withdrawn = balance for every account of a user this rain credited; also the
    /// account's own running totals (`credited`, `debited`) against its entries.
    func balances() async throws -> Check {
        var check = Check(name: "per user, credited − withdrawn = balance")
        let rows = try await pool.query("""
            SELECT a.user_id, a.currency, a.balance, a.credited, a.debited,
                   CAST(COALESCE(SUM(CASE WHEN e.transfer_id LIKE 'credit:%' THEN e.amount END), 0) AS SIGNED) AS entries_credited,
                   CAST(COALESCE(-SUM(CASE WHEN e.transfer_id LIKE 'withdraw:%' THEN e.amount END), 0) AS SIGNED) AS entries_withdrawn,
                   CAST(COALESCE(SUM(e.amount), 0) AS SIGNED) AS entries_total
            FROM wallet_accounts a
            LEFT JOIN wallet_entries e ON e.user_id = a.user_id AND e.account = a.user_id AND e.currency = a.currency
            WHERE a.user_id IN (SELECT DISTINCT user_id FROM wallet_entries WHERE activity_id = \(activityID))
            GROUP BY a.user_id, a.currency
            """)
        for row in rows {
            let balance = try row.decode("balance", as: Int64.self)
            let credited = try row.decode("entries_credited", as: Int64.self)
            let withdrawn = try row.decode("entries_withdrawn", as: Int64.self)
            let total = try row.decode("entries_total", as: Int64.self)
            let totals = (try row.decode("credited", as: Int64.self), try row.decode("debited", as: Int64.self))
            let account = "\(try row.decode("user_id", as: String.self)) \(try row.decode("currency", as: String.self))"
            check.count(balance != credited - withdrawn || balance != total || totals != (credited, withdrawn),
                        "\(account): balance \(balance), credited \(credited) − withdrawn \(withdrawn) = \(credited - withdrawn), "
                            + "account totals \(totals.0)/\(totals.1)")
        }
        return check
    }

    /// Each withdrawal the users made: a paid one has its row `paid_out`, one debit leg and one
    /// payout of its amount; a refused one moved nothing.
    func withdrawals(_ made: [RainWithdrawal.Result]) async throws -> Check {
        var check = Check(name: "every withdrawal debited and paid out exactly once")
        var found: [String: (state: String, amount: Int64, payouts: Int, paid: Int64, debits: Int, debited: Int64)] = [:]
        for start in stride(from: 0, to: made.count, by: 500) {
            var query: SQLQuery = """
                SELECT w.request_id, w.state, w.amount,
                       (SELECT COUNT(*) FROM payouts p WHERE p.request_id = w.request_id) AS payouts,
                       (SELECT CAST(COALESCE(SUM(p.amount), 0) AS SIGNED) FROM payouts p WHERE p.request_id = w.request_id) AS paid,
                       (SELECT COUNT(*) FROM wallet_entries e
                        WHERE e.transfer_id = CONCAT('withdraw:', w.request_id) AND e.account = w.user_id) AS debits,
                       (SELECT CAST(COALESCE(-SUM(e.amount), 0) AS SIGNED) FROM wallet_entries e
                        WHERE e.transfer_id = CONCAT('withdraw:', w.request_id) AND e.account = w.user_id) AS debited
                FROM withdrawals w WHERE w.request_id IN (
                """
            for (index, withdrawal) in made[start..<min(start + 500, made.count)].enumerated() {
                query.append(sql: index == 0 ? "" : ", ")
                query.append("\(withdrawal.requestID)")
            }
            query.append(sql: ")")
            for row in try await pool.query(query) {
                found[try row.decode("request_id", as: String.self)] = (
                    try row.decode("state", as: String.self), try row.decode("amount", as: Int64.self), try row.decode("payouts", as: Int.self),
                    try row.decode("paid", as: Int64.self), try row.decode("debits", as: Int.self), try row.decode("debited", as: Int64.self))
            }
        }
        for withdrawal in made {
            let row = found[withdrawal.requestID]
            let books = row.map { "state \($0.state), \($0.debits) debit(s) of \($0.debited), \($0.payouts) payout(s) of \($0.paid)" } ?? "no row"
            switch withdrawal.outcome {
            case .paidOut:
                let once = row.map { $0.state == "paid_out" && $0.amount == withdrawal.amount && $0.payouts == 1 && $0.paid == withdrawal.amount
                    && $0.debits == 1 && $0.debited == withdrawal.amount } ?? false
                check.count(!once, "\(withdrawal.requestID) paid \(withdrawal.amount): \(books)")
            case .refused, .failed:
                let untouched = row.map { $0.payouts == 0 && $0.debits == 0 } ?? true
                check.count(!untouched, "\(withdrawal.requestID) not paid to the client, but \(books)")
            }
        }
        return check
    }

    /// Every accepted order of this rain is credited exactly once, with its amount, in its type's
    /// ledger; no ledger holds a credit of this activity that was never granted. Orders of an HTTP
    /// ledger are checked by their claim (the partner's own count is in the summary's table).
    func orders(_ accepted: [String: Int], plan: RainPlan, ledgers: [String: String]) async throws -> Check {
        var check = Check(name: "every granted order credited exactly once")
        var rows: [String: (count: Int, amount: Int64)] = [:]
        let wallet = try await pool.query("""
            SELECT order_id, COUNT(*) AS n, CAST(SUM(amount) AS SIGNED) AS total FROM wallet_entries
            WHERE activity_id = \(activityID) AND account = user_id AND transfer_id LIKE 'credit:%' GROUP BY order_id
            """)
        let goods = try await pool.query("""
            SELECT order_id, COUNT(*) AS n, CAST(SUM(quantity) AS SIGNED) AS total FROM goods_grants
            WHERE activity_id = \(activityID) GROUP BY order_id
            """)
        for row in wallet + goods {
            let order = try row.decode("order_id", as: String.self)
            let (count, amount) = (try row.decode("n", as: Int.self), try row.decode("total", as: Int64.self))
            let previous = rows[order] ?? (0, 0)
            rows[order] = (previous.count + count, previous.amount + amount)
        }
        var claimed: Set<String> = []
        for row in try await pool.query("""
            SELECT order_id FROM order_claims WHERE activity_id = \(activityID) AND state = 'credited' AND ledger LIKE 'http:%'
            """) {
            claimed.insert(try row.decode("order_id", as: String.self))
        }
        for (order, index) in accepted {
            let drop = plan.drop(index)
            if ledgers[drop.rewardType]?.hasPrefix("http:") == true {
                check.count(!claimed.contains(order) || rows[order] != nil, "\(order) (\(drop.rewardType)): not credited by its ledger")
                continue
            }
            let row = rows[order] ?? (0, 0)
            check.count(row.count != 1 || row.amount != drop.amount,
                        "\(order) (\(drop.rewardType) \(drop.amount)): \(row.count) credit(s) of \(row.amount) in total")
        }
        for order in Set(rows.keys).union(claimed).subtracting(accepted.keys).sorted() {
            check.count(true, "\(order): credited, but never accepted as a grant")
        }
        return check
    }
}
