import Foundation
import RewardTestKit
import Testing

/// CI's share of fuzzing: every target's corpus (`Fuzz/corpus/<target>/`: the generated seeds and
/// every input a fuzz run found worth keeping, crashes included once fixed) replays through the
/// normal build of `reward-fuzz` without a trap or a failed invariant.
@Suite("FuzzCorpusReplay")
struct FuzzCorpusReplayTests {
    /// Every target. One added to reward-fuzz without a corpus here, or one that disappears, fails.
    static let targets = ["token", "bonus-event", "signed-request", "wallet-cursor", "spool-segment"]

    static func fuzzBinary() throws -> String { "\(try TestEnvironment.binPath())/reward-fuzz" }

    @Test("reward-fuzz has exactly the targets this suite replays")
    func targetsAreListed() async throws {
        let result = try await runExecutable(try Self.fuzzBinary(), ["list"])
        #expect(result.status == 0, "\(result.errorOutput)")
        #expect(result.output.split(separator: "\n").map(String.init) == Self.targets)
    }

    @Test("the corpus replays without a crash or a failed invariant", arguments: targets)
    func corpusReplays(target: String) async throws {
        let folder = "\(TestEnvironment.repositoryRoot)/Fuzz/corpus/\(target)"
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix(".") }
        #expect(files.count >= 10, "Fuzz/corpus/\(target) holds \(files.count) inputs; `reward-fuzz seed` writes the seeds")
        let result = try await runExecutable(try Self.fuzzBinary(), ["replay", target, folder])
        #expect(result.status == 0, "exit \(result.status)\n\(result.output)\n\(result.errorOutput.suffix(3000))")
        let summary = try #require(Self.summary(result.output), "no summary line in: \(result.output)")
        #expect(summary.inputs == files.count, "replayed \(summary.inputs) of \(files.count) files")
        #expect(summary.failed == 0)
        // Both kinds must be there: genuine inputs that get all the way through (so the fuzzer
        // starts deep in the code, not at the first refusal) and edge cases that are refused.
        #expect(summary.accepted > 0, "no input of \(target) is accepted: the seeds no longer match the code or the fixture")
        #expect(summary.refused > 0)
    }

    @Test("the replayer fails on an empty corpus and an unknown target")
    func replayerCanFail() async throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-empty-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let none = try await runExecutable(try Self.fuzzBinary(), ["replay", "token", empty])
        #expect(none.status != 0)
        #expect(Self.summary(none.output)?.inputs == 0)
        let unknown = try await runExecutable(try Self.fuzzBinary(), ["replay", "no-such-target", empty])
        #expect(unknown.status != 0)
        let missing = try await runExecutable(try Self.fuzzBinary(), ["replay", "token", "\(empty)/missing"])
        #expect(missing.status != 0)
    }

    static func summary(_ output: String) -> (inputs: Int, accepted: Int, refused: Int, failed: Int)? {
        guard let match = output.firstMatch(of: /replayed (\d+) inputs: (\d+) accepted, (\d+) refused, (\d+) failed/),
              let inputs = Int(match.1), let accepted = Int(match.2), let refused = Int(match.3), let failed = Int(match.4)
        else { return nil }
        return (inputs, accepted, refused, failed)
    }
}
