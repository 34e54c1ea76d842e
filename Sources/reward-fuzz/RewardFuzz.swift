#if !FUZZING
import ArgumentParser
import Foundation
import RewardCore

/// The fuzz targets' normal build: replays a corpus (CI) and writes the generated seeds. The
/// instrumented build of the same target is a libFuzzer binary (see `LibFuzzerEntry.swift`).
@main
struct RewardFuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reward-fuzz",
        abstract: "Fuzz targets for the readers of outside bytes: replay a corpus, write the seed corpus.",
        discussion: "Fuzzing itself runs the instrumented build: ops/fuzz [SECONDS].",
        version: RewardVersion.current,
        subcommands: [List.self, Replay.self, Seed.self])
}

extension RewardFuzz {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the target names, one a line.")

        func run() {
            for target in FuzzTarget.allCases { print(target.rawValue) }
        }
    }

    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run every input in the given files and folders through a target.",
            discussion: """
                Prints "replayed N inputs: A accepted, R refused, F failed" and exits non-zero when an invariant \
                failed or there was no input. A trap ends the process (the input's name is on stderr just before).
                """)

        @Argument(help: "The target (reward-fuzz list).")
        var target: String

        @Argument(help: "Input files, or folders whose files are inputs.")
        var paths: [String]

        @Flag(help: "Print each input's outcome.")
        var verbose = false

        func run() throws {
            guard let target = FuzzTarget(rawValue: target) else {
                throw ValidationError("unknown target \(target); targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let files = try paths.flatMap(Self.inputs)
            let fuzzer = target.fuzzer
            var accepted = 0, refused = 0, failed = 0
            for file in files {
                FileHandle.standardError.write(Data("\(target.rawValue): \(file)\n".utf8))
                let input = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
                do {
                    let outcome = try fuzzer.run(input)
                    switch outcome {
                    case .accepted: accepted += 1
                    case .refused: refused += 1
                    }
                    if verbose { print("\(outcome) \(file)") }
                } catch {
                    failed += 1
                    print("FAILED \(file): \(error)")
                }
            }
            print("replayed \(files.count) inputs: \(accepted) accepted, \(refused) refused, \(failed) failed")
            guard failed == 0, !files.isEmpty else { throw ExitCode.failure }
        }

        /// A file, or a folder's regular files (not hidden ones), sorted.
        static func inputs(_ path: String) throws -> [String] {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ValidationError("\(path) does not exist")
            }
            guard isDirectory.boolValue else { return [path] }
            return try FileManager.default.contentsOfDirectory(atPath: path).sorted().filter { !$0.hasPrefix(".") }
                .map { "\(path)/\($0)" }
                .filter { (try? FileManager.default.attributesOfItem(atPath: $0)[.type] as? FileAttributeType) == .typeRegular }
        }
    }

    struct Seed: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the generated seed corpus: <output>/<target>/seed-<name> for each target.",
            discussion: "Overwrites the generated seeds; other files (inputs the fuzzer found) are left alone.")

        @Option(help: "The corpus folder.")
        var output = "Fuzz/corpus"

        @Argument(help: "Targets to write (default: all).")
        var targets: [String] = []

        func run() throws {
            let chosen = try targets.isEmpty ? FuzzTarget.allCases : targets.map { name in
                guard let target = FuzzTarget(rawValue: name) else { throw ValidationError("unknown target \(name)") }
                return target
            }
            for target in chosen {
                let folder = "\(output)/\(target.rawValue)"
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                let seeds = Seeds.corpus(target)
                for seed in seeds {
                    try Data(seed.bytes).write(to: URL(fileURLWithPath: "\(folder)/\(seed.name)"))
                }
                print("\(target.rawValue): \(seeds.count) seeds in \(folder)")
            }
        }
    }
}
#endif
