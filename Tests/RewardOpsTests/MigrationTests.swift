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

    @Test("A case-insensitive database is refused with the fix; tables made before the fix are converted, so 'Alice' is not 'alice'")
    func caseInsensitiveDatabase() async throws {
        let database = try await TestMariaDB.makeDatabase(prefix: "collation")
        defer { Task { try? await database.drop() } }
        let server = try TestMariaDB.serverConfiguration()
        let pool = MariaDBPool(configuration: database.configuration, logger: TestMariaDB.quietLogger)
        defer { Task { await pool.shutdown() } }
        // A database made with the server's usual default, as our scripts did not ensure before.
        try await pool.executeScript("ALTER DATABASE `\(database.name)` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")

        // reward-admin migrate refuses it and says what to run.
        let environment = [
            "REWARD_DB_HOST": server.host, "REWARD_DB_PORT": String(server.port), "REWARD_DB_USER": server.user,
            "REWARD_DB_PASSWORD": server.password, "REWARD_DB_NAME": database.name,
        ]
        let admin = "\(try TestEnvironment.binPath())/reward-admin"
        let refused = try await runExecutable(admin, ["migrate"], environment: environment, directory: TestEnvironment.repositoryRoot)
        #expect(refused.status != 0)
        #expect(refused.errorOutput.contains("ALTER DATABASE \(database.name) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"),
                "\(refused.errorOutput)")
        #expect(try await pool.query("SHOW TABLES").isEmpty, "nothing was created")

        // An older deployment: the first fourteen files applied by a runner that did not check.
        let older = files.filter { $0.version <= 14 }
        for file in older { try await pool.executeScript(file.sql) }
        let runner = MigrationRunner(pool: pool, logger: TestMariaDB.quietLogger)
        try await pool.execute("INSERT INTO wallet_accounts (user_id, currency, balance, updated_at) VALUES ('Alice', 'CNY', 5, UTC_TIMESTAMP(6))")
        await #expect(throws: MariaDBError.self, "under the old collation alice is Alice") {
            try await pool.execute("INSERT INTO wallet_accounts (user_id, currency, balance, updated_at) VALUES ('alice', 'CNY', 7, UTC_TIMESTAMP(6))")
        }
        // The fix: the database default, then the migrations (older ones recorded as applied).
        try await pool.executeScript("ALTER DATABASE `\(database.name)` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        _ = try await runner.appliedVersions()  // creates the history table
        for file in older {
            try await pool.execute("""
                INSERT INTO schema_migrations (version, name, checksum, applied_at, execution_ms)
                VALUES (\(file.version), \(file.name), \(file.checksum), UTC_TIMESTAMP(6), 0)
                """)
        }
        let report = try await runner.migrate(files)
        #expect(report.applied.contains("0015_binary_ids.sql"))
        try await pool.execute("INSERT INTO wallet_accounts (user_id, currency, balance, updated_at) VALUES ('alice', 'CNY', 7, UTC_TIMESTAMP(6))")
        let rows = try await pool.query("SELECT user_id FROM wallet_accounts WHERE user_id = 'alice'")
        #expect(try rows.map { try $0.decode("user_id", as: String.self) } == ["alice"])
        let notBinary = try await pool.query("""
            SELECT COUNT(*) AS n FROM information_schema.columns WHERE table_schema = DATABASE()
            AND collation_name IS NOT NULL AND collation_name <> 'utf8mb4_bin'
            """)
        #expect(try notBinary[0].decode("n", as: Int64.self) == 0, "every text column compares byte for byte")
    }
}
