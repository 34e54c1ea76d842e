import ArgumentParser
import CoreMetrics
import Foundation
import Logging
import RewardCore
import RewardSDK

/// Test support, not a tool: grants through the SDK in a child process so that tests can kill
/// it mid-run (SIGKILL) and start it again on the same spool to check nothing answered was lost.
@main
struct RewardSDKProbe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reward-sdk-probe",
        abstract: "Grant through RewardSDK in a child process (used by RewardSDKTests' crash test).",
        version: RewardVersion.current,
        subcommands: [GrantLoop.self, Replay.self])
}

/// Where the probe's client connects and spools.
struct ProbeOptions: ParsableArguments {
    @Option(help: "The cluster directory file (clusters A and B).")
    var clusters: String

    @Option(help: "The spool directory.")
    var spool: String

    @Option(help: "The reward type catalog (JSON).")
    var catalog: String

    /// A fixed key: the probe's tokens are never shown to anyone.
    static let testKey = [UInt8](repeating: 0x5A, count: 32)

    func makeClient() async throws -> RewardClient {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = ProcessInfo.processInfo.environment["REWARD_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
            return handler
        }
        let directory = try ClusterDirectory.load(from: clusters)
        var configuration = RewardClientConfiguration(
            clusters: [
                .init(name: .a, connection: try RewardClientConfiguration.connection(.a, in: directory)),
                .init(name: .b, connection: try RewardClientConfiguration.connection(.b, in: directory)),
            ],
            catalog: try RewardCatalog.load(from: catalog),
            keyRing: try TokenKeyRing(keys: [1: Self.testKey], currentKeyID: 1),
            spoolDirectory: spool)
        configuration.delivery.coolDown = .milliseconds(500)
        configuration.delivery.replayAcknowledgementTimeout = .seconds(1)
        configuration.delivery.shutdownFlushTimeout = .seconds(1)
        return try await RewardClient(configuration: configuration, logger: Logger(label: "reward-sdk-probe"),
                                      metrics: NOOPMetricsHandler.instance)
    }
}

/// Grants until killed (or `--limit`), printing each answered order id on its own line.
///
/// With `--describe` it prints `sent<TAB>order<TAB>type<TAB>amount<TAB>user` before each grant and
/// `answered<TAB>…` after it instead, and every
/// `--duplicate-every`-th grant re-sends an earlier order as it was while every
/// `--conflict-every`-th re-sends one with another amount (the chaos harness checks that each is
/// credited once, one variant only).
struct GrantLoop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "grant-loop")

    @OptionGroup var options: ProbeOptions

    @Option(help: "Order ids are probe:<run>:<n>.")
    var run = "run"

    @Option(help: "Concurrent granting tasks.")
    var concurrency = 8

    @Option(help: "Stop after this many grants (0: until killed).")
    var limit = 0

    @Option(help: "The first n (a restarted loop continues where the killed one stopped).")
    var start = 0

    @Option(help: "Grants per second over all tasks (0: as fast as answered).")
    var rate = 0

    @Option(help: "Reward types granted in turn (cash types get amounts 1-500, others 1).")
    var types = "cash_red_envelope,coupon_10off"

    @Option(help: "The activity id of every grant.")
    var activity = "probe"

    @Option(help: "Users are u<n mod users>, prefixed by the run.")
    var users = 1000

    @Option(help: "Every n-th grant re-sends an earlier order unchanged (0: never).")
    var duplicateEvery = 0

    @Option(help: "Every n-th grant re-sends an earlier order with another amount (0: never).")
    var conflictEvery = 0

    @Flag(help: "Print order, type, amount and user of each answered grant, tab-separated.")
    var describe = false

    func validate() throws {
        guard concurrency > 0, limit >= 0, start >= 0, rate >= 0, users > 0, duplicateEvery >= 0, conflictEvery >= 0 else {
            throw ValidationError("--concurrency and --users must be positive; --limit, --start, --rate and the every-n options not negative")
        }
    }

    func run() async throws {
        let client = try await options.makeClient()
        let plan = ProbePlan(run: run, types: types.split(separator: ",").map(String.init), users: users,
                             duplicateEvery: duplicateEvery, conflictEvery: conflictEvery, userPrefix: describe ? "\(run)-" : "")
        let (concurrency, limit, start, describe, activity) = (self.concurrency, self.limit, self.start, self.describe, self.activity)
        // Each task keeps its share of the rate: task k grants at k/rate, (k+c)/rate, ... from the start.
        let began = ContinuousClock.now
        let interval: Duration? = rate > 0 ? .nanoseconds(1_000_000_000 / Int64(rate)) : nil
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var n = start + worker
                    while limit == 0 || n < start + limit {
                        if let interval { try? await Task.sleep(until: began + interval * (n - start), clock: .continuous) }
                        let grant = plan.grant(n)
                        let fields = "\(grant.order)\t\(grant.type)\t\(grant.amount)\t\(grant.user)\n"
                        // Sent before answered: a grant in flight when the process is killed may still be credited.
                        if describe { FileHandle.standardOutput.write(Data("sent\t\(fields)".utf8)) }
                        do {
                            _ = try await client.sendBonus(
                                activity: Activity(id: activity, sceneID: "crash-test"),
                                user: User(id: grant.user, deviceID: "dev-\(grant.user)", appID: "probe"),
                                bonus: BonusContent(rewardType: grant.type, amount: grant.amount),
                                orderID: OrderID(grant.order))
                            let line = describe ? "answered\t\(fields)" : "\(grant.order)\n"
                            // One write(2) per line: the line reaches the pipe whole before the next grant.
                            FileHandle.standardOutput.write(Data(line.utf8))
                        } catch {
                            FileHandle.standardError.write(Data("grant \(grant.order) failed: \(error)\n".utf8))
                        }
                        n += concurrency
                    }
                }
            }
        }
        await client.shutdown()
    }
}

/// What the n-th grant of a loop is: a pure function of n, so that a restarted loop and the
/// harness reading its output agree on every order's content.
struct ProbePlan: Sendable {
    var run: String
    var types: [String]
    var users: Int
    var duplicateEvery: Int
    var conflictEvery: Int
    var userPrefix: String

    func grant(_ n: Int) -> (order: String, type: String, amount: Int64, user: String) {
        if duplicateEvery > 0, n > 0, n % duplicateEvery == 0 { return fresh(n / 2) }
        if conflictEvery > 0, n > 0, n % conflictEvery == 0 {
            let original = fresh(n / 3)
            return (original.order, original.type, original.amount + 1, original.user)
        }
        return fresh(n)
    }

    /// Cash types get an amount of 1-500 minor units; other types one item.
    private func fresh(_ n: Int) -> (order: String, type: String, amount: Int64, user: String) {
        let type = types.isEmpty ? "cash_red_envelope" : types[n % types.count]
        let cash = type.hasPrefix("cash") || type.hasPrefix("coin")
        return ("probe:\(run):\(n)", type, cash ? Int64(1 + (n * 7_919) % 500) : 1, "\(userPrefix)u\(n % users)")
    }
}

/// Opens the spool a crashed run left, waits until it is replayed, then exits 0 (1 on timeout).
struct Replay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "replay")

    @OptionGroup var options: ProbeOptions

    @Option(help: "Give up after this many seconds.")
    var timeout = 60

    func run() async throws {
        let client = try await options.makeClient()
        let found = client.spoolDepth
        let deadline = ContinuousClock.now + .seconds(timeout)
        while client.spoolDepth > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let left = client.spoolDepth
        await client.shutdown()
        guard left == 0 else {
            FileHandle.standardError.write(Data("replay timed out with \(left) of \(found) records left\n".utf8))
            throw ExitCode(1)
        }
        print("replayed \(found)")
    }
}
