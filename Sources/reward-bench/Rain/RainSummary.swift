import Foundation
import RewardSettlement

/// The end of the main job: what was granted, what each ledger credited, how fast, and the check
/// that the two agree to the cent, type by type.
struct RainSummary {
    let grants: RainGrants.Result
    let credits: RainLedgers.Credits
    let achievedRates: [String: Double]
    let configuredRates: RateLimitConfiguration
    let settleDelays: Latencies
    let delivered: Int64
    let creditedClaims: Int
    let deadLetters: Int
    let units: [String: String]
    /// What the users saw in their wallets and withdrew; nil when the rain only granted.
    let wallets: RainWallets.Report?
    let books: [RainBooks.Check]

    /// Prints the summary; returns whether granted == credited for every reward type and every
    /// wallet, withdrawal and books check held.
    func print() -> Bool {
        let accepted = grants.accepted.count.values.reduce(0, +)
        let failed = grants.failures.values.reduce(0, +)
        Swift.print("""

            == summary
            grants:      \(accepted) accepted (\(grants.calls) calls, \(grants.retries) of them client retries), \
            \(failed) calls failed\(failed > 0 ? " \(grants.failures)" : "")
            SDK latency: \(grants.latencies.summary)
            delivered:   \(delivered) events to the lane topics of both clusters; duplicates absorbed by the consumers: \
            \(max(0, delivered - Int64(creditedClaims) - Int64(deadLetters)))
            credit delay (grant accepted → ledger credited): \(settleDelays.summary)
            dead letters: \(deadLetters)

            """)
        let header = ["reward type", "ledger", "granted", "credited", "amount granted", "amount credited", "settled/s", "limit/s"]
        var rows: [[String]] = []
        var differences: [String] = []
        let types = Set(grants.accepted.count.keys).union(credits.byType.keys).sorted()
        for type in types {
            let unit = units[type] ?? "item"
            let grantedCount = grants.accepted.count[type] ?? 0
            let grantedAmount = grants.accepted.amount[type] ?? 0
            let credit = credits.byType[type] ?? (ledger: "-", count: 0, amount: 0)
            rows.append([type, credit.ledger, "\(grantedCount)", "\(credit.count)", Self.format(grantedAmount, unit: unit),
                         Self.format(credit.amount, unit: unit), String(format: "%.0f", achievedRates[type] ?? 0),
                         configuredRates.rates[type].map { String(format: "%.0f", $0) } ?? "-"])
            if grantedCount != credit.count || grantedAmount != credit.amount {
                differences.append("\(type): \(grantedCount - credit.count) credits, "
                    + "\(Self.format(grantedAmount - credit.amount, unit: unit)) not credited")
            }
        }
        Swift.print(Self.table(header: header, rows: rows))
        Swift.print("")
        differences += printWallets() + printBooks()
        if differences.isEmpty {
            let totals = Dictionary(grouping: types) { units[$0] ?? "item" }
                .map { unit, types in Self.format(types.reduce(0) { $0 + (grants.accepted.amount[$1] ?? 0) }, unit: unit) }
                .sorted()
            Swift.print("granted == credited: yes (\(accepted) grants; \(totals.joined(separator: ", ")))")
            return true
        }
        Swift.print("granted == credited: no (\(differences.joined(separator: "; ")))")
        return false
    }

    /// The users' side: wallet views and withdrawals during and after the rain. Returns what failed.
    private func printWallets() -> [String] {
        guard let wallets else { return [] }
        let paid = wallets.withdrawals.filter { $0.outcome == .paidOut }
        let unpaid = wallets.withdrawals.filter { $0.outcome != .paidOut }
        let midRain = wallets.withdrawals.filter(\.midRain)
        Swift.print("""
            wallet views during the rain: \(wallets.views.count), \(wallets.views.summary)
            pending shown by the first read after the grant (sent \(wallets.firstReadAfter.summary) after it): \
            \(wallets.checked - wallets.missedFirst) of \(wallets.checked) catches followed by a wallet read; \(wallets.missedFirst) missed, shown by a read sent \(wallets.lateBy.summary) after the \
            grant; \(wallets.shownLate) not shown by a read sent within \(RainWallets.shownWithin) (the target), of which \
            \(wallets.notShown) not shown by a read after the rain either, \(wallets.readErrors) reads failed
            user actions skipped (the bench's users' queue was full): \(wallets.skipped)
            withdrawals during the rain: \(midRain.count), per try \(wallets.midRainLatencies.summary)
            withdrawals after the rain:  \(wallets.withdrawals.count - midRain.count), per try \(wallets.afterRainLatencies.summary)
            withdrawals paid out: \(paid.count) of \(wallets.withdrawals.count) \
            (\(Self.format(paid.reduce(0) { $0 + $1.amount }, unit: "CNY")); \(wallets.withdrawals.reduce(0) { $0 + $1.retries }) retries)
            """)
        for example in wallets.examples { Swift.print("  \(example)") }
        for withdrawal in unpaid.prefix(3) { Swift.print("  \(withdrawal.requestID): \(withdrawal.outcome)") }
        var failed: [String] = []
        if wallets.notShown + wallets.readErrors > 0 {
            failed.append("\(wallets.notShown + wallets.readErrors) catches not shown in the wallet, even after the rain")
        }
        if !unpaid.isEmpty { failed.append("\(unpaid.count) withdrawals not paid out") }
        return failed
    }

    /// The books checked with SQL. Returns the rules that were broken.
    private func printBooks() -> [String] {
        guard !books.isEmpty else { return [] }
        Swift.print("books (SQL on the stores):")
        for check in books {
            Swift.print("  \(check.name): \(check.violations == 0 ? "yes" : "NO, \(check.violations) violations") (\(check.checked) checked)")
            for example in check.examples { Swift.print("    \(example)") }
        }
        Swift.print("")
        return books.filter { $0.violations > 0 }.map { "books: \($0.name): \($0.violations) violations" }
    }

    /// Minor units as the currency shows them: CNY with two decimals, everything else whole.
    static func format(_ amount: Int64, unit: String) -> String {
        guard unit == "CNY" else { return "\(amount) \(unit)" }
        let sign = amount < 0 ? "-" : ""
        let magnitude = amount.magnitude
        return "\(sign)\(magnitude / 100).\(String(format: "%02d", Int(magnitude % 100))) CNY"
    }

    static func table(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                column < 2 ? cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
