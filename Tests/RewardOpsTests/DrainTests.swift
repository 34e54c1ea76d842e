import Foundation
import MariaDB
import RewardCore
import RewardTestKit
import Testing

@Suite("reward-admin drain")
struct DrainTests {
    @Test("50,000 events, consumers stopped: a drain interrupted halfway by SIGINT and resumed credits every event once")
    func interruptedAndResumed() async throws {
        let harness = try LaneHarness()
        try await SettlementFixture.with("drain") { fixture in
            let count = 50_000
            let events = (0..<count).map { index in
                LaneHarness.grant(order: "drain-\(index)", user: "user-\(index % 997)", amount: Int64(1 + index % 50))
            }
            try await harness.produce(events, to: .a, topic: "reward-cash")
            let admin = try AdminProcess(database: fixture.database, harness: harness)

            let preview = try await admin.run(["drain", "--cluster", "A", "--topic", "reward-cash"])
            #expect(preview.status == 0, "\(preview.errorOutput)")
            #expect(preview.output.contains("preview only: \(count) records would be settled"))
            #expect(try await fixture.count("SELECT COUNT(*) FROM order_claims") == 0, "a preview settles nothing")

            // First run, paced so that it is still running when interrupted.
            let first = try admin.start(["drain", "--cluster", "A", "--topic", "reward-cash", "--execute", "--rate", "10000"])
            var interruptedAt: Int64?
            var summary = ""
            for await line in first.lines {
                if interruptedAt == nil, let done = Self.done(in: line), done >= 10_000 {
                    interruptedAt = done
                    first.send(signal: SIGINT)
                }
                if line.hasPrefix("drain interrupted") || line.hasPrefix("drain completed") { summary = line }
            }
            let firstExit = await first.waitForExit()
            #expect(firstExit.status == 130, "\(firstExit.errorOutput.suffix(2000))")
            let firstDone = try #require(Self.summaryDone(summary), "summary line: \(summary)")
            #expect(firstDone >= interruptedAt ?? .max && firstDone < Int64(count))
            let creditedAfterFirst = try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE state = 'credited'")
            #expect(Int64(creditedAfterFirst) == firstDone, "every record counted as done is credited, and no other")

            // Second run resumes from the checkpoint and finishes.
            let second = try await admin.run(["drain", "--cluster", "A", "--topic", "reward-cash", "--execute"])
            #expect(second.status == 0, "\(second.errorOutput.suffix(2000))")
            let remaining = Int64(count) - firstDone
            #expect(second.output.contains("drain completed: \(remaining) of \(remaining) records"), "\(second.output.suffix(600))")
            #expect(second.output.contains("credited \(remaining), already credited 0"), "\(second.output.suffix(600))")

            // The books: each order credited once, balances equal the grants.
            #expect(try await fixture.count("SELECT COUNT(*) FROM order_claims WHERE state = 'credited'") == count)
            #expect(try await fixture.count("SELECT COUNT(*) FROM wallet_entries WHERE account <> '~issuance'") == count)
            #expect(try await fixture.unbalancedTransfers() == 0)
            var expected: [SettlementFixture.AccountKey: Int64] = [:]
            for event in events {
                expected[SettlementFixture.AccountKey(userID: event.user.id, currency: "CNY"), default: 0] += event.bonus.amount
            }
            let balances = try await fixture.balances()
            #expect(balances == expected, "balances differ for \(balances.filter { expected[$0.key] != $0.value }.count) accounts")

            // Nothing is left: a third run has nothing to do.
            let third = try await admin.run(["drain", "--cluster", "A", "--topic", "reward-cash", "--execute"])
            #expect(third.status == 0)
            #expect(third.output.contains("drain completed: 0 of 0 records"), "\(third.output.suffix(400))")
        }
    }

    @Test("bad input gets a specific message: unknown topic, unknown reward type")
    func badInput() async throws {
        let harness = try LaneHarness()
        try await SettlementFixture.with("drainbad") { fixture in
            let admin = try AdminProcess(database: fixture.database, harness: harness)
            let topic = try await admin.run(["drain", "--cluster", "A", "--topic", "no-such-topic"])
            #expect(topic.status != 0)
            #expect(topic.errorOutput.contains("topic no-such-topic is not declared for cluster A"), "\(topic.errorOutput)")
            let type = try await admin.run(["drain", "--cluster", "A", "--topic", "reward-cash", "--type", "gold_bars"])
            #expect(type.status != 0)
            #expect(type.errorOutput.contains("reward type gold_bars is not in the catalog"), "\(type.errorOutput)")
        }
    }

    @Test("a drain refuses while the lane's consumers hold live leases")
    func refusesWhileConsumersRun() async throws {
        let harness = try LaneHarness()
        try await SettlementFixture.with("drainlive") { fixture in
            try await harness.produce([LaneHarness.grant(order: "live-1", user: "u1", amount: 5)], to: .a, topic: "reward-cash")
            try await fixture.pool.execute("""
                INSERT INTO rate_leases (scope, instance_id, heartbeat_at, joined_at) VALUES ('lane-cash', 'host-1', NOW(6), NOW(6))
                """)
            let admin = try AdminProcess(database: fixture.database, harness: harness)
            let result = try await admin.run(["drain", "--cluster", "A", "--topic", "reward-cash", "--execute"])
            #expect(result.status == 2)
            #expect(result.output.contains("consumer(s) of the cash lane are running (host-1)"), "\(result.output)")
            #expect(try await fixture.count("SELECT COUNT(*) FROM order_claims") == 0)
        }
    }

    /// `done` of a progress line `drain: 12000/50000 ...`.
    static func done(in line: String) -> Int64? {
        guard line.hasPrefix("drain: "), let slash = line.firstIndex(of: "/") else { return nil }
        return Int64(line[line.index(line.startIndex, offsetBy: 7)..<slash])
    }

    /// `done` of the summary `drain interrupted: 12000 of 50000 records in 2s`.
    static func summaryDone(_ line: String) -> Int64? {
        guard let colon = line.firstIndex(of: ":") else { return nil }
        return line[line.index(after: colon)...].split(separator: " ").first.flatMap { Int64($0) }
    }
}
