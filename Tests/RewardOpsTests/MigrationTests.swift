import Foundation
import MariaDB
import RewardOps
import RewardTestKit
import Testing

@Suite("Migrations against a real MariaDB")
struct MigrationTests {
    let files: [MigrationFile]

    init() throws {
        files = try MigrationFile.load(directory: "\(TestEnvironment.repositoryRoot)/migrations")
    }

    @Test("The repository's migrations apply once; a second run does nothing; every table names its shard key")
    func applyTwice() async throws {
        try await TestMariaDB.withDatabase(prefix: "migrate") { configuration in
            let pool = MariaDBPool(configuration: configuration, logger: TestMariaDB.quietLogger)
            let runner = MigrationRunner(pool: pool, logger: TestMariaDB.quietLogger)
            let first = try await runner.migrate(files)
            #expect(first.applied == files.map(\.fileName))
            #expect(first.alreadyApplied == 0)
            let second = try await runner.migrate(files)
            #expect(second.applied.isEmpty)
            #expect(second.alreadyApplied == files.count)

            let tables = try await pool.query("""
                SELECT table_name AS name, table_comment AS comment FROM information_schema.tables
                WHERE table_schema = DATABASE() AND table_name <> 'schema_migrations'
                """)
            let names = Set(try tables.map { try $0.decode("name", as: String.self) })
            for store in ["order_claims", "reward_tokens", "wallet_accounts", "wallet_entries", "budgets",
                          "dead_letters", "reconciliation_runs"] {
                #expect(names.contains(store), "missing store \(store)")
            }
            for table in tables {
                let comment = try table.decode("comment", as: String.self)
                let name = try table.decode("name", as: String.self)
                #expect(comment.hasPrefix("shard key:"), "\(name) has no shard key comment")
            }
            await pool.shutdown()
        }
    }

    @Test("An applied migration that was edited is refused, and nothing after it runs")
    func editedMigrationRefused() async throws {
        try await TestMariaDB.withDatabase(prefix: "edited") { configuration in
            let pool = MariaDBPool(configuration: configuration, logger: TestMariaDB.quietLogger)
            let runner = MigrationRunner(pool: pool, logger: TestMariaDB.quietLogger)
            _ = try await runner.migrate(Array(files.prefix(2)))

            var edited = files
            edited[1] = MigrationFile(version: files[1].version, name: files[1].name, sql: files[1].sql + "\n-- edited\n")
            do {
                _ = try await runner.migrate(edited)
                Issue.record("an edited migration was accepted")
            } catch let error as MigrationError {
                #expect(error.code == .editedAfterApply)
                #expect(error.message.contains(files[1].fileName))
            }
            #expect(try await runner.appliedVersions().count == 2, "no later migration ran")
            await pool.shutdown()
        }
    }

    @Test("A database ahead of the files is refused")
    func unknownAppliedVersionRefused() async throws {
        try await TestMariaDB.withDatabase(prefix: "ahead") { configuration in
            let pool = MariaDBPool(configuration: configuration, logger: TestMariaDB.quietLogger)
            let runner = MigrationRunner(pool: pool, logger: TestMariaDB.quietLogger)
            _ = try await runner.migrate(files)
            await #expect(throws: MigrationError.self) { _ = try await runner.migrate(Array(files.dropLast())) }
            await pool.shutdown()
        }
    }

    @Test("Two runners at once apply each migration exactly once")
    func concurrentRunners() async throws {
        try await TestMariaDB.withDatabase(prefix: "concurrent") { configuration in
            let pool = MariaDBPool(configuration: configuration, logger: TestMariaDB.quietLogger)
            let files = self.files
            let reports = try await withThrowingTaskGroup(of: MigrationRunner.Report.self) { group in
                for _ in 0..<2 {
                    group.addTask { try await MigrationRunner(pool: pool, logger: TestMariaDB.quietLogger).migrate(files) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(reports.map(\.applied.count).sorted() == [0, files.count])
            let count = try await pool.query("SELECT COUNT(*) AS n FROM schema_migrations")
            #expect(try count.first?.decode("n", as: Int64.self) == Int64(files.count))
            await pool.shutdown()
        }
    }

    @Test("reward-admin migrate, run as a process twice, applies then reports up to date")
    func adminMigrateTwice() async throws {
        let database = try await TestMariaDB.makeDatabase(prefix: "adminmig")
        defer { Task { try? await database.drop() } }
        let server = try TestMariaDB.serverConfiguration()
        let environment = [
            "REWARD_DB_HOST": server.host, "REWARD_DB_PORT": String(server.port), "REWARD_DB_USER": server.user,
            "REWARD_DB_PASSWORD": server.password, "REWARD_DB_NAME": database.name,
        ]
        let admin = "\(try TestEnvironment.binPath())/reward-admin"
        let first = try await runExecutable(admin, ["migrate"], environment: environment, directory: TestEnvironment.repositoryRoot)
        #expect(first.status == 0, "\(first.errorOutput)")
        #expect(first.output.contains("applied 0001_order_claims.sql"))
        let second = try await runExecutable(admin, ["migrate"], environment: environment, directory: TestEnvironment.repositoryRoot)
        #expect(second.status == 0, "\(second.errorOutput)")
        #expect(second.output.contains("up to date"))
        try await database.drop()
    }
}
