import Foundation
public import Logging
public import MariaDB

/// Applies the migrations a database is missing, in order, one runner at a time.
///
/// A named lock (`GET_LOCK`, one per database: runners on different databases of one server never
/// wait for each other) serialises concurrent runners (two deploys starting at once), and
/// `schema_migrations` records each applied version with its checksum. A second run with
/// nothing new does nothing. MariaDB commits DDL implicitly, so a file that fails halfway leaves
/// what it already created: the error names the file, and the fix is a new migration or a
/// manual cleanup, never editing the applied file.
public struct MigrationRunner: Sendable {
    public struct Report: Sendable, Equatable {
        public var applied: [String]
        public var alreadyApplied: Int
    }

    private let pool: MariaDBPool
    private let logger: Logger
    /// Built in SQL from `DATABASE()` so the lock covers exactly the schema being migrated.
    private let lockName: SQLQuery = "CONCAT('reward_schema_migrations.', COALESCE(DATABASE(), ''))"

    public init(pool: MariaDBPool, logger: Logger) {
        self.pool = pool
        self.logger = logger
    }

    /// Applies every file not yet recorded.
    /// - Parameter lockTimeout: how long to wait for another runner; keep it below the
    ///   connection's read timeout, or the wait itself looks like a lost connection.
    /// - Throws: ``MigrationError`` when an applied file was edited, the database is ahead of
    ///   the files, the lock is held too long by another runner, or a statement fails.
    public func migrate(_ files: [MigrationFile], lockTimeout: Duration = .seconds(20)) async throws -> Report {
        try await pool.withConnection { connection in
            let seconds = Int64(lockTimeout.components.seconds)
            let locked = try await connection.query("SELECT GET_LOCK(\(lockName), \(seconds)) AS locked")
            guard try locked.first?.decode("locked", as: Int64?.self) == 1 else {
                throw MigrationError(code: .lockTimeout,
                                     message: "another migration run held the lock for \(seconds) s; try again when it finishes")
            }
            do {
                let report = try await apply(files, on: connection)
                _ = try? await connection.query("SELECT RELEASE_LOCK(\(lockName))")
                return report
            } catch {
                _ = try? await connection.query("SELECT RELEASE_LOCK(\(lockName))")
                throw error
            }
        }
    }

    /// The versions recorded as applied, with their checksums.
    public func appliedVersions() async throws -> [Int: String] {
        try await pool.withConnection { connection in
            try await ensureHistoryTable(connection)
            return try await readApplied(connection)
        }
    }

    private func apply(_ files: [MigrationFile], on connection: MariaDBConnection) async throws -> Report {
        try await refuseCaseInsensitiveDatabase(connection)
        try await ensureHistoryTable(connection)
        let applied = try await readApplied(connection)
        let byVersion = Dictionary(uniqueKeysWithValues: files.map { ($0.version, $0) })
        for (version, checksum) in applied.sorted(by: { $0.key < $1.key }) {
            guard let file = byVersion[version] else {
                throw MigrationError(code: .unknownAppliedVersion,
                                     message: "the database has migration \(version) applied but no file for it exists here; deploy the newer code")
            }
            guard file.checksum == checksum else {
                throw MigrationError(code: .editedAfterApply,
                                     message: "\(file.fileName) was edited after it was applied (recorded checksum \(checksum.prefix(12)), file \(file.checksum.prefix(12))); restore it and write a new migration instead")
            }
        }
        var report = Report(applied: [], alreadyApplied: applied.count)
        for file in files where applied[file.version] == nil {
            let started = ContinuousClock.now
            do {
                try await connection.executeScript(file.sql)
            } catch {
                throw MigrationError(code: .statementFailed, message: "\(file.fileName) failed: \(error)")
            }
            let elapsed = ContinuousClock.now - started
            try await connection.execute("""
                INSERT INTO schema_migrations (version, name, checksum, applied_at, execution_ms)
                VALUES (\(file.version), \(file.name), \(file.checksum), UTC_TIMESTAMP(6), \(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000))
                """)
            logger.info("migration applied", metadata: ["file": "\(file.fileName)"])
            report.applied.append(file.fileName)
        }
        return report
    }

    /// Tables take the database's default collation. Under a case-insensitive one (the server's
    /// usual default) `Alice` and `alice` share one wallet row and `Ord-x`/`ord-x` one claim:
    /// refuse, and say how to fix it (0015 then converts tables made before the fix).
    private func refuseCaseInsensitiveDatabase(_ connection: MariaDBConnection) async throws {
        let rows = try await connection.query(
            "SELECT DATABASE() AS name, @@character_set_database AS charset, @@collation_database AS collation")
        guard let row = rows.first else { return }
        let name: String = try row.decode("name", as: String?.self) ?? "?"
        let charset: String = try row.decode("charset")
        let collation: String = try row.decode("collation")
        guard charset != "utf8mb4" || !collation.hasSuffix("_bin") else { return }
        throw MigrationError(code: .caseInsensitiveDatabase, message: """
            database \(name) has default character set \(charset) and collation \(collation): order, user and activity ids \
            would compare case-insensitively ('Alice' and 'alice' would share a wallet). Run \
            `ALTER DATABASE \(name) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;` as an administrator, then migrate again \
            (migration 0015 converts the tables created before)
            """)
    }

    private func ensureHistoryTable(_ connection: MariaDBConnection) async throws {
        try await connection.executeScript("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version      INT          NOT NULL PRIMARY KEY,
                name         VARCHAR(200) NOT NULL,
                checksum     CHAR(64)     NOT NULL,
                applied_at   DATETIME(6)  NOT NULL,
                execution_ms BIGINT       NOT NULL
            ) ENGINE = InnoDB COMMENT = 'applied migrations; one per database'
            """)
    }

    private func readApplied(_ connection: MariaDBConnection) async throws -> [Int: String] {
        let rows = try await connection.query("SELECT version, checksum FROM schema_migrations")
        var applied: [Int: String] = [:]
        for row in rows {
            applied[Int(try row.decode("version", as: Int64.self))] = try row.decode("checksum", as: String.self)
        }
        return applied
    }
}
