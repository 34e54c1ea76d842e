import ArgumentParser
import Foundation
import RewardCore
import RewardOps
import RewardSettlement
import RewardStores

struct ControlCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "control",
        abstract: "Show, change and audit the live controls (switches and fleet rates).",
        discussion: """
            Controls: type:<id> and activity:<id> (on: new grants accepted), withdrawals (on: taken),
            wallet-reduced (on: the wallet view reads the ledger only), rate:<bucket> (fleet permits per
            second of a reward type's bucket or shared:<downstream>, replacing the configured rate).
            SDK hosts, consumers and reward-api apply a change within 2 seconds, without a restart.
            """,
        subcommands: [Show.self, SetControl.self, History.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The controls in force and who set them.")

        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let context = try await CommandContext.make()
            let pool = try context.databasePool()
            let state: ControlState
            do { state = try await ControlStore(pool: pool).state() } catch {
                await pool.shutdown()
                throw error
            }
            await pool.shutdown()
            let settings = state.settings.sorted { $0.key < $1.key }
            if json {
                struct Output: Encodable { var version: Int64; var settings: [ControlSetting]; var unreadable: [String] }
                return print(try JSONOutput.string(Output(version: state.version, settings: settings.map(\.value),
                                                          unreadable: state.unreadable)))
            }
            print("controls at version \(state.version); anything not listed is at its default (switches on, wallet-reduced off, rates as configured)")
            var table = TextTable(["CONTROL", "VALUE", "VERSION", "CHANGED", "BY", "REASON"])
            for (key, setting) in settings {
                table.add([key.description, key.format(setting.value), "\(setting.version)", Formatting.timestamp(setting.changedAt),
                           setting.changedBy, setting.reason])
            }
            print(table.text)
            for row in state.unreadable { print("ignored (unreadable) row: \(row)") }
        }
    }

    struct SetControl: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Change a control (a preview unless --execute); recorded with who and why.")

        @Argument(help: "The control: type:<id>, activity:<id>, withdrawals, wallet-reduced, rate:<bucket>.") var control: String
        @Argument(help: "on/off for a switch, permits per second for a rate, or 'default' to reset.") var value: String
        @Option(help: "Why (kept in the history).") var reason: String
        @Option(help: "Who (default: $REWARD_OPERATOR, else $USER).") var by: String?
        @Option(help: "Apply only if the controls are still at this version (as shown by `control show`).") var expectVersion: Int64?
        @Flag(help: "Apply it.") var execute = false

        func run() async throws {
            let key: ControlKey
            let parsed: Int64?
            do {
                key = try ControlKey(parsing: control)
                parsed = value == "default" ? nil : try key.parseValue(value)
            } catch {
                throw ValidationError(error.message)
            }
            let environment = ProcessInfo.processInfo.environment
            guard let operatorName = by ?? environment["REWARD_OPERATOR"] ?? environment["USER"] else {
                throw ValidationError("say who changes it: --by NAME (or set REWARD_OPERATOR)")
            }
            let context = try await CommandContext.make()
            try Self.checkKnown(key, context: context)
            let pool = try context.databasePool()
            let store = ControlStore(pool: pool)
            do {
                let state = try await store.state()
                let from = key.format(state.value(key))
                guard execute else {
                    await pool.shutdown()
                    print("control preview: \(key) \(from) -> \(key.format(parsed)) by \(operatorName) at version \(state.version); pass --execute")
                    return
                }
                let change = try await store.set(key, to: parsed, by: operatorName, reason: reason, expectedVersion: expectVersion)
                await pool.shutdown()
                print("control: \(key) \(from) -> \(key.format(change.newValue)) (version \(change.version), by \(change.changedBy)); applied fleet-wide within 2 s")
            } catch let error as ControlError {
                await pool.shutdown()
                print("control: \(error.description)")
                throw ExitCode(2)
            } catch {
                await pool.shutdown()
                throw error
            }
        }

        /// A control must name what this deployment has: a catalog type, a rate bucket.
        static func checkKnown(_ key: ControlKey, context: CommandContext) throws {
            let catalog = try RewardCatalog.load(from: context.config.string(forKey: "catalog.path", default: "ops/config/reward-types.json"))
            switch key {
            case .rewardType(let id):
                guard catalog[id] != nil else { throw ValidationError("\(id) is not a reward type in the catalog") }
            case .fleetRate(let bucket):
                let rates = try RateLimitConfiguration.load(
                    from: context.config.string(forKey: "rates.path", default: "ops/config/rate-limits.json"))
                let known = bucket.hasPrefix("shared:")
                    ? rates.sharedDownstreams[String(bucket.dropFirst("shared:".count))] != nil
                    : catalog[bucket] != nil
                guard known else {
                    throw ValidationError("\(bucket) is neither a reward type in the catalog nor shared:<downstream> of the rate limits")
                }
            case .activity, .withdrawals, .walletReduced:
                break
            }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The recorded changes, newest first.")

        @Option(help: "Only this control.") var control: String?
        @Option(help: "At most this many.") var limit = 50
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let key: ControlKey?
            do { key = try control.map { text throws(ControlError) in try ControlKey(parsing: text) } } catch {
                throw ValidationError(error.message)
            }
            let context = try await CommandContext.make()
            let pool = try context.databasePool()
            let changes: [ControlChange]
            do { changes = try await ControlStore(pool: pool).history(limit: limit, key: key) } catch {
                await pool.shutdown()
                throw error
            }
            await pool.shutdown()
            if json { return print(try JSONOutput.string(changes)) }
            var table = TextTable(["VERSION", "CHANGED", "CONTROL", "FROM", "TO", "BY", "REASON"])
            for change in changes {
                let parsed = try? ControlKey(parsing: change.key)
                table.add(["\(change.version)", Formatting.timestamp(change.changedAt), change.key,
                           parsed?.format(change.oldValue) ?? "\(change.oldValue.map(String.init) ?? "-")",
                           parsed?.format(change.newValue) ?? "\(change.newValue.map(String.init) ?? "-")", change.changedBy, change.reason])
            }
            print(table.text)
        }
    }
}
