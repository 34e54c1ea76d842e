import ArgumentParser
import RewardOps

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the migrations the database is missing, in order; safe to repeat.")

    @Option(help: "Folder of NNNN_name.sql files.")
    var directory = "migrations"

    @Flag(help: "Only list applied and pending migrations.")
    var status = false

    func run() async throws {
        let context = try await CommandContext.make()
        let files = try MigrationFile.load(directory: directory)
        let pool = try context.databasePool()
        defer { Task { await pool.shutdown() } }
        let runner = MigrationRunner(pool: pool, logger: context.logger)
        if status {
            let applied = try await runner.appliedVersions()
            for file in files {
                let state = applied[file.version] == nil ? "pending" : (applied[file.version] == file.checksum ? "applied" : "EDITED")
                print("\(state.padding(toLength: 8, withPad: " ", startingAt: 0)) \(file.fileName)")
            }
            await pool.shutdown()
            return
        }
        let report = try await runner.migrate(files)
        await pool.shutdown()
        if report.applied.isEmpty {
            print("migrate: up to date (\(report.alreadyApplied) applied, nothing to do)")
        } else {
            for file in report.applied { print("migrate: applied \(file)") }
            print("migrate: \(report.applied.count) applied now, \(report.alreadyApplied) before")
        }
    }
}
