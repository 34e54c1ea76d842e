import Foundation
import MariaDB

/// The wallet book's own rules, checked for the accounts and transfers a range touched: every
/// balance equals the sum of its account's entries (credited and debited the sums of its positive
/// and negative ones), and the legs of every transfer sum to zero. A wrong row here is money
/// made or lost outside the engine, whatever the grants say.
struct WalletBooks: Sendable {
    let pool: MariaDBPool

    func check(from: Date, to: Date, bucket: Date) async throws -> [ReconciliationFinding] {
        func finding(_ kind: ReconciliationFinding.Kind, order: String?, user: String?, expected: Int64?, actual: Int64?,
                     _ detail: String) -> ReconciliationFinding {
            ReconciliationFinding(kind: kind, bucketStart: bucket, orderID: order, activityID: nil, rewardType: nil, userID: user,
                                  expectedAmount: expected, actualAmount: actual, detail: detail)
        }
        var findings: [ReconciliationFinding] = []
        for row in try await pool.query("""
            SELECT transfer_id, currency, MIN(order_id) AS order_id, MIN(user_id) AS user_id, CAST(SUM(amount) AS SIGNED) AS total
            FROM wallet_entries WHERE transfer_id IN (
                SELECT DISTINCT transfer_id FROM wallet_entries WHERE created_at >= \(from) AND created_at < \(to))
            GROUP BY transfer_id, currency HAVING total <> 0 ORDER BY transfer_id
            """) {
            let transfer: String = try row.decode("transfer_id")
            let total: Int64 = try row.decode("total")
            findings.append(finding(.unbalancedTransfer, order: try row.decode("order_id"), user: try row.decode("user_id"),
                                    expected: 0, actual: total, "the legs of transfer \(transfer) sum to \(total), not 0"))
        }

        // Accounts with entries in the range, and accounts changed in it (an entry deleted leaves only that trace).
        let users: [String] = try await pool.query("""
            SELECT user_id FROM wallet_entries WHERE created_at >= \(from) AND created_at < \(to)
            UNION SELECT user_id FROM wallet_accounts WHERE updated_at >= \(from) AND updated_at < \(to)
            """).map { try $0.decode("user_id") }
        struct Totals: Equatable { var balance: Int64 = 0; var credited: Int64 = 0; var debited: Int64 = 0 }
        struct Account: Hashable { var user: String; var currency: String }
        for chunk in ReconciliationSources.chunks(users) {
            var accounts: [Account: Totals] = [:]
            var entries: [Account: Totals] = [:]
            var query: SQLQuery = "SELECT user_id, currency, balance, credited, debited FROM wallet_accounts WHERE user_id IN "
            query.appendIn(chunk)
            for row in try await pool.query(query) {
                accounts[Account(user: try row.decode("user_id"), currency: try row.decode("currency"))] =
                    Totals(balance: try row.decode("balance"), credited: try row.decode("credited"), debited: try row.decode("debited"))
            }
            query = """
                SELECT user_id, currency, CAST(SUM(amount) AS SIGNED) AS total,
                    CAST(COALESCE(SUM(CASE WHEN amount > 0 THEN amount END), 0) AS SIGNED) AS plus,
                    CAST(COALESCE(SUM(CASE WHEN amount < 0 THEN -amount END), 0) AS SIGNED) AS minus
                FROM wallet_entries WHERE account = user_id AND user_id IN
                """
            query.appendIn(chunk)
            query.append(sql: " GROUP BY user_id, currency")
            for row in try await pool.query(query) {
                entries[Account(user: try row.decode("user_id"), currency: try row.decode("currency"))] =
                    Totals(balance: try row.decode("total"), credited: try row.decode("plus"), debited: try row.decode("minus"))
            }
            for account in Set(accounts.keys).union(entries.keys).sorted(by: { ($0.user, $0.currency) < ($1.user, $1.currency) }) {
                let stated = accounts[account]
                let summed = entries[account] ?? Totals()
                guard stated != summed else { continue }
                let detail = stated.map {
                    "\(account.currency) balance \($0.balance) (credited \($0.credited), debited \($0.debited)); its entries sum to "
                        + "\(summed.balance) (credited \(summed.credited), debited \(summed.debited))"
                } ?? "\(account.currency) entries sum to \(summed.balance) for an account that does not exist"
                findings.append(finding(.balanceMismatch, order: nil, user: account.user, expected: summed.balance,
                                        actual: stated?.balance, detail))
            }
        }
        return findings
    }
}
