import ArgumentParser
import Foundation
import RewardConsumer
import RewardCore
import RewardOps
import RewardSettlement

struct DeadLetterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "List, show and replay dead letters (records parked for a person).",
        subcommands: [List.self, Show.self, Replay.self])

    struct Filters: ParsableArguments {
        @Option(help: "Only this reason code (for example held_for_budget, retries_exhausted, token_signature_mismatch).")
        var reason: String?

        @Option(name: .customLong("type"), help: "Only this reward type.")
        var rewardType: String?

        @Option(help: "Only dead letters first failed at or after this UTC time.")
        var since: String?

        @Option(help: "Only dead letters first failed before this UTC time.")
        var until: String?

        @Option(help: "parked, replayed, discarded or any.")
        var state = "parked"

        @Option(help: "At most this many.")
        var limit = 100

        func filter() throws -> DeadLetterFilter {
            guard ["parked", "replayed", "discarded", "any"].contains(state) else {
                throw ValidationError("--state must be parked, replayed, discarded or any")
            }
            var filter = DeadLetterFilter()
            filter.reasonCode = reason
            filter.rewardType = rewardType
            filter.since = try parseTimeOption(since, "--since")
            filter.until = try parseTimeOption(until, "--until")
            filter.state = state == "any" ? nil : state
            filter.limit = limit
            return filter
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dead letters, newest last.")

        @OptionGroup var filters: Filters
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let context = try await CommandContext.make()
            let pool = try context.databasePool()
            let letters: [DeadLetter]
            do { letters = try await DeadLetterStore(pool: pool).list(try filters.filter()) } catch {
                await pool.shutdown()
                throw error
            }
            await pool.shutdown()
            if json { return print(try JSONOutput.string(letters)) }
            var table = TextTable(["ID", "ORIGIN", "ORDER", "TYPE", "REASON", "ATTEMPTS", "REPLAYS", "STATE", "FIRST-FAILED"])
            for l in letters {
                table.add(["\(l.id)", l.origin, l.orderID ?? "-", l.rewardType ?? "-", l.reasonCode, "\(l.attempts)", "\(l.replayCount)",
                           l.state, Formatting.timestamp(l.firstFailedAt)])
            }
            print(table.text)
            print("dlq: \(letters.count) dead letter(s)")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one dead letter with its decoded record.")

        @Argument(help: "The dead letter id (from dlq list).") var id: Int64
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let context = try await CommandContext.make()
            let pool = try context.databasePool()
            var filter = DeadLetterFilter()
            filter.ids = [id]
            filter.state = nil
            let found: [DeadLetter]
            do { found = try await DeadLetterStore(pool: pool).list(filter) } catch {
                await pool.shutdown()
                throw error
            }
            await pool.shutdown()
            guard let letter = found.first else { throw ValidationError("no dead letter with id \(id)") }
            if json { return print(try JSONOutput.string(letter)) }
            print("dead letter \(letter.id): \(letter.origin), \(letter.state)")
            print("  reason: \(letter.reasonCode): \(letter.reason)")
            print("  attempts \(letter.attempts), replays \(letter.replayCount)\(letter.lastReplayOutcome.map { ", last replay: \($0)" } ?? "")")
            print("  first failed \(Formatting.timestamp(letter.firstFailedAt)), last \(Formatting.timestamp(letter.lastFailedAt))")
            do {
                let event = try BonusEvent.decode(letter.payload)
                print("  order \(event.orderID), user \(event.user.id), activity \(event.activity.id)/\(event.activity.sceneID)")
                print("  \(event.bonus.amount) \(event.bonus.rewardType), lane \(event.lane), granted at ms \(event.grantedAtMilliseconds)")
                print("  token \(event.token)")
            } catch {
                print("  record: not a bonus event (\(error))")
            }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Settle parked dead letters again through the engine (a preview unless --execute).",
            discussion: "Fix the cause first (raise a budget, bring a ledger back). Each replay is counted; a dead letter replayed --max-replays times is left alone.")

        @OptionGroup var filters: Filters
        @Option(help: "Only these ids (repeatable).") var id: [Int64] = []
        @Option(help: "Replays per dead letter before it is left alone.") var maxReplays = 3
        @Flag(help: "Replay; without it only what would be replayed is listed.") var execute = false
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            guard maxReplays > 0 else { throw ValidationError("--max-replays must be positive") }
            guard filters.state == "parked" else { throw ValidationError("only parked dead letters are replayed") }
            let context = try await CommandContext.make()
            let wiring = try SettlementWiring(config: context.config, logger: context.logger)
            var filter = try filters.filter()
            filter.ids = id
            let store = DeadLetterStore(pool: wiring.pool)
            let result: DeadLetterReplayer.Result?
            let letters: [DeadLetter]
            do {
                letters = try await store.list(filter)
                result = execute ? try await DeadLetterReplayer(
                    store: store, keyRing: wiring.keyRing, settler: RetryingSettler(engine: wiring.engine), maximumReplays: maxReplays)
                    .replay(letters) : nil
            } catch {
                await wiring.shutdown()
                throw error
            }
            await wiring.shutdown()
            guard let result else {
                let due = letters.filter { $0.replayCount < maxReplays }.count
                print("replay preview: \(due) dead letter(s) would be replayed, \(letters.count - due) at the replay limit; pass --execute")
                return
            }
            if json { return print(try JSONOutput.string(result)) }
            let t = result.tally
            print("replay: \(result.replayed) replayed, \(result.settled) settled (credited \(t.credited), already \(t.alreadyCredited)), "
                + "held \(t.held), conflicts \(t.conflicts), refused \(t.permanent), failing \(t.retriable), undecodable \(result.undecodable), "
                + "at limit \(result.atLimit)")
            for (reason, count) in t.refused.sorted(by: { $0.key < $1.key }) {
                print("replay: \(count) refused, token does not verify: \(reason) (never settled; left parked)")
            }
            if result.settled < result.replayed { throw ExitCode(1) }
        }
    }
}
