import Foundation

/// What a chaos run prints: its schedule, each fault kind injected and healed, and each invariant
/// with its figures; the last line names the seed to replay.
struct ChaosReport {
    struct Outcome: Sendable {
        var fault: ChaosFault?
        var injected = false
        var healed = false
        var error: String?
    }

    let seed: UInt64
    let outcomes: [Outcome]
    let checks: [RainBooks.Check]

    static func describe(_ fault: ChaosFault) -> String {
        let start = String(format: "%6.1f", Double(fault.startMilliseconds) / 1000)
        let length = String(format: "%4.1f", Double(fault.lengthMilliseconds) / 1000)
        return "+\(start) s for \(length) s  \(fault.kind.rawValue) (row \(fault.kind.row)) on \(fault.cluster.rawValue), target \(fault.target)"
    }

    static func describe(_ withdrawals: [RainWithdrawal.Result]) -> String {
        var paid = 0, refused = 0, failed = 0
        for withdrawal in withdrawals {
            switch withdrawal.outcome {
            case .paidOut: paid += 1
            case .refused: refused += 1
            case .failed: failed += 1
            }
        }
        return "withdrawals \(withdrawals.count): \(paid) paid, \(refused) refused, \(failed) without a final answer"
    }

    func printFaults() {
        say("faults injected and survived:")
        var kinds: [ChaosFaultKind: (scheduled: Int, injected: Int, healed: Int)] = [:]
        for outcome in outcomes {
            guard let kind = outcome.fault?.kind else { continue }
            let previous = kinds[kind] ?? (0, 0, 0)
            kinds[kind] = (previous.scheduled + 1, previous.injected + (outcome.injected ? 1 : 0), previous.healed + (outcome.healed ? 1 : 0))
        }
        for kind in ChaosFaultKind.allCases {
            guard let counts = kinds[kind] else { continue }
            say("  \(kind.rawValue.padding(toLength: 24, withPad: " ", startingAt: 0)) row \(kind.row)".padding(toLength: 34, withPad: " ", startingAt: 0)
                  + "  scheduled \(counts.scheduled), injected \(counts.injected), healed \(counts.healed)")
        }
    }

    /// Prints each check; returns whether all held.
    func printChecks() -> Bool {
        var passed = true
        for check in checks {
            let verdict = check.violations == 0 ? "ok" : "VIOLATED \(check.violations)×"
            say("  \(check.name): \(verdict) (\(check.checked) checked)")
            for example in check.examples { say("      e.g. \(example)") }
            passed = passed && check.violations == 0
        }
        say("chaos seed \(seed): " + (passed ? "pass" : "FAIL — replay with --seed \(seed)"))
        return passed
    }
}
