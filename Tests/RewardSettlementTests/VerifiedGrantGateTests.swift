import Foundation
import RewardTestKit
import Testing

/// The settlement engine takes only `VerifiedGrant`s, and only `TokenKeyRing.verify` makes one.
/// These tests compile small files against the built modules, as a new paying path would be
/// written: settling without verifying must not build. A control file that verifies first must.
@Suite("Settling without verifying does not compile")
struct VerifiedGrantGateTests {
    static let header = """
        import Foundation
        import RewardCore
        import RewardSettlement

        """

    @Test("Verifying first compiles (the control: the harness can build a paying path)")
    func verifiedPathCompiles() async throws {
        let result = try await Self.typecheck("""
            func settle(_ event: BonusEvent, ring: TokenKeyRing) throws -> SettlementRequest {
                SettlementRequest(grant: try ring.verify(event, activityFrom: .ourRecords, now: nil), source: .drain)
            }
            """)
        #expect(result.status == 0, "\(result.errorOutput.suffix(2_000))")
    }

    @Test("No way around the verifier: building, decoding or editing a verified grant, or a request from an event, is refused",
          arguments: [
            ("func f(_ e: BonusEvent, _ c: TokenClaims) -> VerifiedGrant { VerifiedGrant(event: e, claims: c) }",
             "initializer is inaccessible"),
            ("func f(_ e: BonusEvent) -> SettlementRequest { SettlementRequest(event: e, source: .drain) }",
             "expected 'grant:source:'"),
            ("func f(_ d: Data) throws -> VerifiedGrant { try JSONDecoder().decode(VerifiedGrant.self, from: d) }",
             "Decodable"),
            ("func f(_ g: VerifiedGrant) -> VerifiedGrant { var g = g; g.event.bonus.amount = 88_800; return g }",
             "'let' constant"),
            ("func f(_ r: SettlementRequest, _ g: VerifiedGrant) { var r = r; r.grant = g; _ = r }",
             "'let' constant"),
          ])
    func unverifiedPathsDoNotCompile(source: String, expectedError: String) async throws {
        let result = try await Self.typecheck(source)
        #expect(result.status != 0, "compiled: \(source)")
        #expect(result.errorOutput.contains(expectedError), "\(result.errorOutput.suffix(1_500))")
    }

    @Test("Only the key ring's verify constructs a VerifiedGrant in the shipped sources")
    func oneConstructor() throws {
        let root = URL(fileURLWithPath: TestEnvironment.repositoryRoot).appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" } ?? []
        #expect(files.count > 100, "the sources were found")
        var constructing: [String] = []
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            if text.contains("VerifiedGrant(event:") { constructing.append(file.lastPathComponent) }
        }
        #expect(constructing == ["VerifiedGrant.swift"])
    }

    /// `swiftc -typecheck` of the header plus `source` against the modules `swift build` made.
    static func typecheck(_ source: String) async throws -> ProcessResult {
        let bin = try TestEnvironment.binPath()
        let root = TestEnvironment.repositoryRoot
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueTestName("gate") + ".swift")
        try (header + source + "\n").write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        var arguments = ["swiftc", "-typecheck", "-I", "\(bin)/Modules"]
        // The C modules the Swift modules were built against: SwiftPM's generated module maps,
        // the packages' own, and ours (with the include folders pkg-config names).
        var maps = try Self.files(named: "module.modulemap", under: bin, depth: 1)
        maps += try Self.files(named: "module.modulemap", under: "\(root)/.build/checkouts", depth: 6).filter { $0.contains("/Sources/") }
        maps += ["\(root)/Sources/CMariaDB/module.modulemap", "\(root)/Sources/CRdKafka/module.modulemap"]
        for map in maps { arguments += ["-Xcc", "-fmodule-map-file=\(map)"] }
        for include in ["/usr/include/mariadb", "/usr/include/librdkafka"] { arguments += ["-Xcc", "-I\(include)"] }
        arguments.append(file.path)
        return try await runExecutable("/usr/bin/env", arguments)
    }

    static func files(named name: String, under folder: String, depth: Int) throws -> [String] {
        guard depth >= 0, let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        var found: [String] = []
        for entry in entries {
            let path = "\(folder)/\(entry)"
            if entry == name { found.append(path) }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue, !entry.hasPrefix(".") {
                found += try files(named: name, under: path, depth: depth - 1)
            }
        }
        return found
    }
}
