import ArgumentParser
import Foundation

/// `reward-bench chaos`: the festival night's faults, drawn from a seed, over the real stack.
struct ChaosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos",
        abstract: "Drive whole-path traffic through a real stack while seeded faults come and go, then check the books.",
        discussion: """
            Starts its own mariadbd (on a free port, in /tmp), Kafka mock clusters A and B and the partner ledger
            simulator in this process, --instances reward-consumer processes per lane per cluster, reward-api and
            reward-sdk-probe (next to this binary); run from the repository root (ops/chaos does). SDK grants (with
            duplicates and conflicting reuses of order ids), signed HTTP grants, wallet reads and withdrawals run
            for --duration while the faults the seed draws are injected and healed. Then everything is healed, the
            lanes drained (bounded by --settle), and the invariants checked with SQL and the partner's own books.
            Exits 1 on any violation; --seed N replays the same schedule.
            """)

    @Option(help: "The seed the fault schedule is drawn from.")
    var seed: UInt64 = 1

    @Option(help: "Seconds of traffic and faults.")
    var duration = 60

    @Option(help: "Fault kinds to draw from (comma-separated; default all): \(ChaosFaultKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var faults = ""

    @Option(help: "SDK grants per second.")
    var grantsPerSecond = 100

    @Option(help: "Consumer processes per lane per cluster.")
    var instances = 2

    @Option(help: "Seconds after healing within which every lane must be drained.")
    var settle = 180

    @Option(help: "Run several seeds in a row: seed, seed+1, … (each on a fresh stack).")
    var seeds = 1

    func validate() throws {
        guard (10...3_600).contains(duration), (1...5_000).contains(grantsPerSecond), (1...4).contains(instances),
              (10...3_600).contains(settle), (1...1_000).contains(seeds)
        else {
            throw ValidationError("--duration 10-3600, --grants-per-second 1-5000, --instances 1-4, --settle 10-3600, --seeds 1-1000")
        }
        _ = try kinds()
    }

    private func kinds() throws -> [ChaosFaultKind] {
        guard !faults.isEmpty else { return ChaosFaultKind.allCases }
        return try faults.split(separator: ",").map { name in
            guard let kind = ChaosFaultKind(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("unknown fault \"\(name)\"; known: \(ChaosFaultKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return kind
        }
    }

    func run() async throws {
        let logger = BenchLogging.logger("chaos")
        let root = FileManager.default.currentDirectoryPath
        guard FileManager.default.fileExists(atPath: "\(root)/topics"), FileManager.default.fileExists(atPath: "\(root)/migrations") else {
            throw ValidationError("run from the repository root (topics/ and migrations/ are read from there)")
        }
        let bin = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")).deletingLastPathComponent().path
        var failed: [UInt64] = []
        for seed in self.seed..<(self.seed + UInt64(seeds)) {
            let work = NSTemporaryDirectory() + "reward-chaos-\(seed)-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
            let run = ChaosRun(options: .init(seed: seed, durationSeconds: duration, kinds: try kinds(), grantsPerSecond: grantsPerSecond,
                                              instances: instances, settleSeconds: settle),
                               paths: .init(root: root, bin: bin, work: work), logger: logger)
            if try await run.run() {
                try? FileManager.default.removeItem(atPath: work)
            } else {
                failed.append(seed)
                say("the children's logs of seed \(seed) are in \(work)/logs")
            }
        }
        if seeds > 1 { say("chaos: \(seeds - failed.count) of \(seeds) seeds passed" + (failed.isEmpty ? "" : "; failed: \(failed)")) }
        if !failed.isEmpty { throw ExitCode(1) }
    }
}

/// Prints a line at once, also into a pipe or file: a run that hangs still shows how far it got.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
