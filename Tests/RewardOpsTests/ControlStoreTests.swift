import Foundation
import Logging
import MariaDB
import RewardCore
import RewardStores
import RewardTestKit
import Testing

/// The live controls' store and watcher against a real MariaDB (issue 14, item 1): versions,
/// audit, optimistic changes, refusals with codes, hostile rows, and the last known state kept
/// while the server is down.
@Suite("Live controls: store and watcher")
struct ControlStoreTests {
    @Test("a change bumps the version, is in force, and is recorded with who, why, from and to; a reset returns to the default")
    func setShowHistory() async throws {
        try await SettlementFixture.with("controls_set") { fixture in
            let store = ControlStore(pool: fixture.pool)
            #expect(try await store.version() == 0)
            #expect(try await store.state().isOn(.rewardType("prize_partner")))

            let off = try await store.set(.rewardType("prize_partner"), to: 0, by: "alice", reason: "partner ledger double-paying")
            let rate = try await store.set(.fleetRate("shared:partner-prizes"), to: 500, by: "bob@ops", reason: "partner asked for less")
            #expect((off.version, rate.version) == (1, 2))
            var state = try await store.state()
            #expect(state.version == 2)
            #expect(!state.isOn(.rewardType("prize_partner")))
            #expect(state.isOn(.rewardType("coin_lucky")), "other types keep their default")
            #expect(state.fleetRates == ["shared:partner-prizes": 500])
            #expect(state.grantRefusals.rewardTypes == ["prize_partner"])

            let reset = try await store.set(.rewardType("prize_partner"), to: nil, by: "alice", reason: "fixed by the partner")
            #expect(reset.oldValue == 0 && reset.newValue == nil)
            state = try await store.state()
            #expect(state.isOn(.rewardType("prize_partner")) && state.version == 3)

            let history = try await store.history()
            #expect(history.map(\.version) == [3, 2, 1])
            #expect(history.last?.changedBy == "alice" && history.last?.reason == "partner ledger double-paying")
            #expect(history.last?.oldValue == nil && history.last?.newValue == 0)
            #expect(try await store.history(key: .fleetRate("shared:partner-prizes")).map(\.changedBy) == ["bob@ops"])
        }
    }

    @Test("a change based on an old version is refused and writes nothing: two operators cannot undo each other unseen")
    func conflict() async throws {
        try await SettlementFixture.with("controls_conflict") { fixture in
            let store = ControlStore(pool: fixture.pool)
            _ = try await store.set(.withdrawals, to: 0, by: "alice", reason: "payout partner down", expectedVersion: 0)
            await #expect(throws: ControlError.self) {
                _ = try await store.set(.withdrawals, to: 1, by: "bob", reason: "looked fine to me", expectedVersion: 0)
            }
            #expect(try await store.version() == 1)
            #expect(try await !store.state().isOn(.withdrawals))
            #expect(try await store.history().count == 1)
        }
    }

    @Test("invalid keys, values, operators and reasons are refused with their codes before anything is written")
    func refusals() async throws {
        func code(_ body: () throws -> Void) -> ControlError.Code? {
            do { try body() } catch { return (error as? ControlError)?.code }
            return nil
        }
        #expect(code { _ = try ControlKey(parsing: "typo:x") } == .unknownKey)
        #expect(code { _ = try ControlKey(parsing: "type:") } == .invalidKey)
        #expect(code { _ = try ControlKey(parsing: "type:a b") } == .invalidKey)
        #expect(code { _ = try ControlKey(parsing: "rate:shared:") } == .invalidKey)
        #expect(code { _ = try ControlKey(parsing: "activity:" + String(repeating: "x", count: 65)) } == .invalidKey)
        #expect(code { _ = try ControlKey.withdrawals.parseValue("2") } == .invalidValue)
        #expect(code { _ = try ControlKey.fleetRate("prize_partner").parseValue("0") } == .invalidValue)
        #expect(code { _ = try ControlKey.fleetRate("prize_partner").parseValue("-5") } == .invalidValue)
        #expect(code { _ = try ControlKey.fleetRate("prize_partner").parseValue("99999999999999999999") } == .invalidValue)
        #expect(try ControlKey.fleetRate("prize_partner").parseValue("1500") == 1500)
        #expect(try ControlKey(parsing: "rate:shared:partner-prizes") == .fleetRate("shared:partner-prizes"))

        try await SettlementFixture.with("controls_refused") { fixture in
            let store = ControlStore(pool: fixture.pool)
            for (key, value, by, reason, expected) in [
                (ControlKey.withdrawals, Int64(7), "alice", "because", ControlError.Code.invalidValue),
                (.withdrawals, 0, "", "because", .invalidOperator),
                (.withdrawals, 0, "alice; DROP TABLE controls", "because", .invalidOperator),
                (.withdrawals, 0, "alice", "  ", .invalidReason),
                (.withdrawals, 0, "alice", "line\nbreak", .invalidReason),
            ] {
                await #expect(throws: ControlError.self) { _ = try await store.set(key, to: value, by: by, reason: reason) }
                do { _ = try await store.set(key, to: value, by: by, reason: reason) } catch let error as ControlError {
                    #expect(error.code == expected, "\(key) \(value) by '\(by)'")
                }
            }
            #expect(try await store.version() == 0, "nothing written")
        }
    }

    @Test("a row written by hand that no version can read is ignored and reported, never applied")
    func hostileRows() async throws {
        try await SettlementFixture.with("controls_hostile") { fixture in
            try await fixture.pool.execute("""
                INSERT INTO controls (name, value, version, changed_at, changed_by, reason) VALUES
                    ('rate:prize_partner', -5, 1, NOW(), 'x', 'x'), ('bogus', 1, 1, NOW(), 'x', 'x'),
                    ('withdrawals', 9, 1, NOW(), 'x', 'x'), ('type:coin_lucky', 0, 1, NOW(), 'x', 'x')
                """)
            let state = try await ControlStore(pool: fixture.pool).state()
            #expect(state.fleetRates.isEmpty)
            #expect(state.isOn(.withdrawals))
            #expect(state.unreadable.count == 3, "\(state.unreadable)")
            #expect(!state.isOn(.rewardType("coin_lucky")), "the readable row still applies")
        }
    }

    @Test("the watcher applies a change within its poll, and keeps the last known controls while the server is down")
    func watcherKeepsLastKnown() async throws {
        let server = try MariaDBServerProcess()
        try await server.start()
        do {
            let database = try await TestMariaDB.makeDatabase(prefix: "controls_watch", server: server.configuration)
            var configuration = database.configuration
            configuration.pool.maxConnections = 1
            configuration.pool.acquireTimeout = .seconds(1)
            configuration.connectTimeout = .seconds(1)
            configuration.readTimeout = .seconds(1)
            let pool = MariaDBPool(configuration: configuration, logger: TestMariaDB.quietLogger)
            try await SettlementFixture.migrate(pool)
            let store = ControlStore(pool: pool)
            let applied = TestBox([Int64]())
            let watcher = ControlWatcher(store: store, interval: .milliseconds(100), logger: TestMariaDB.quietLogger) { state, _ in
                applied.withLock { $0.append(state.version) }
            }
            try await watcher.load()
            let poll = Task { await watcher.run() }
            _ = try await store.set(.activity("fest"), to: 0, by: "alice", reason: "activity misconfigured")
            try await eventually(.seconds(2), "the change applied") { watcher.grantRefusals.activities == ["fest"] }

            try await server.kill()
            try await Task.sleep(for: .seconds(2))
            #expect(watcher.grantRefusals.activities == ["fest"], "still in force while the store is unreachable")
            #expect(watcher.current.version == 1)

            try await server.start()
            _ = try await store.set(.activity("fest"), to: 1, by: "alice", reason: "fixed")
            try await eventually(.seconds(10), "the change after the outage applied") { watcher.grantRefusals.activities.isEmpty }
            poll.cancel()
            await poll.value
            #expect(applied.withLock { $0 } == [1, 2])
            await pool.shutdown()
            await server.destroy()
        } catch {
            await server.destroy()
            throw error
        }
    }
}
