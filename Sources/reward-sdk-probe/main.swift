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
                .init(name: .a, bootstrapServers: try directory.entry(.a).bootstrapServerList),
                .init(name: .b, bootstrapServers: try directory.entry(.b).bootstrapServerList),
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
struct GrantLoop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "grant-loop")

    @OptionGroup var options: ProbeOptions

    @Option(help: "Order ids are probe:<run>:<n>.")
    var run = "run"

    @Option(help: "Concurrent granting tasks.")
    var concurrency = 8

    @Option(help: "Stop after this many grants (0: until killed).")
    var limit = 0

    func run() async throws {
        let client = try await options.makeClient()
        let (run, concurrency, limit) = (self.run, self.concurrency, self.limit)
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var n = worker
                    while limit == 0 || n < limit {
                        let orderID = OrderID("probe:\(run):\(n)")
                        let cash = n % 2 == 0
                        do {
                            _ = try await client.sendBonus(
                                activity: Activity(id: "probe", sceneID: "crash-test"),
                                user: User(id: "u\(n % 1000)", deviceID: "dev-\(n % 1000)", appID: "probe"),
                                bonus: BonusContent(rewardType: cash ? "cash_red_envelope" : "coupon_10off", amount: cash ? 100 : 1),
                                orderID: orderID)
                            // One write(2) per line: the line reaches the pipe whole before the next grant.
                            FileHandle.standardOutput.write(Data("\(orderID.rawValue)\n".utf8))
                        } catch {
                            FileHandle.standardError.write(Data("grant \(orderID.rawValue) failed: \(error)\n".utf8))
                        }
                        n += concurrency
                    }
                }
            }
        }
        await client.shutdown()
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
