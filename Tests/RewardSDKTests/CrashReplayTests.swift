import Foundation
import RewardCore
import RewardTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension SDKIntegrationTests {
    @Suite("A process killed while spooling")
    struct CrashReplayTests {
        @Test("SIGKILL mid-spooling loses no answered grant; the next start on the spool replays them")
        func killedWhileSpooling() async throws {
            let bed = try SDKTestBed(name: "crash")
            let probe = try TestEnvironment.binPath() + "/reward-sdk-probe"
            let directoryFile = NSTemporaryDirectory() + uniqueTestName("clusters") + ".json"
            defer { try? FileManager.default.removeItem(atPath: directoryFile) }
            try ClusterDirectory(clusters: [
                "A": .init(bootstrapServers: bed.a.bootstrapServers.joined(separator: ",")),
                "B": .init(bootstrapServers: bed.b.bootstrapServers.joined(separator: ",")),
            ]).write(to: directoryFile)
            let arguments = ["--clusters", directoryFile, "--spool", bed.spoolDirectory,
                             "--catalog", "\(TestEnvironment.repositoryRoot)/ops/config/reward-types.json"]

            try bed.a.cluster.setAllBrokersDown()
            try bed.b.cluster.setAllBrokersDown()
            let child = try ChildProcess(probe, ["grant-loop", "--run", "crash"] + arguments)
            let wanted = 400
            let answered = try await withDeadline(.seconds(60), "\(wanted) answered grants") {
                var answered: [String] = []
                for await line in child.lines {
                    answered.append(line)
                    if answered.count == wanted { break }
                }
                return answered
            }
            child.send(signal: SIGKILL)
            let killed = await child.waitForExit()
            #expect(answered.count == wanted, "the child answered only \(answered.count): \(killed.errorOutput)")
            #expect(answered.allSatisfy { $0.hasPrefix("probe:crash:") })
            #expect(killed.status == SIGKILL, "the child was killed, not finished")
            #expect(try !bed.spoolSegments().isEmpty)

            try bed.a.cluster.setAllBrokersUp()
            let replay = try await runExecutable(probe, ["replay", "--timeout", "45"] + arguments)
            #expect(replay.status == 0, "replay failed: \(replay.errorOutput)")
            #expect(replay.output.hasPrefix("replayed "))
            #expect((Int(replay.output.dropFirst(9).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) >= wanted)
            #expect(try bed.spoolSegments().isEmpty, "replayed segments are deleted")

            let delivered = Set(try await bed.events(.a).map(\.orderID.rawValue))
            let lost = Set(answered).subtracting(delivered)
            #expect(lost.isEmpty, "\(lost.count) answered grants never reached a topic, e.g. \(lost.sorted().prefix(3))")

            // Started again, the spool has nothing left to send: replayed records are not resent.
            let again = try await runExecutable(probe, ["replay", "--timeout", "10"] + arguments)
            #expect(again.status == 0)
            #expect(again.output.trimmingCharacters(in: .whitespacesAndNewlines) == "replayed 0")
        }
    }
}
