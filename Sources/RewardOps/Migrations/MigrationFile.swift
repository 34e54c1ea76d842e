import Crypto
import Foundation

/// One numbered SQL file from `migrations/`: `NNNN_what_it_does.sql`.
public struct MigrationFile: Sendable, Equatable {
    public var version: Int
    public var name: String
    public var sql: String
    /// SHA-256 of the file's bytes, hex: an applied file whose checksum changes is refused.
    public var checksum: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = SHA256.hash(data: Array(sql.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The file name as it appears in the directory.
    public var fileName: String { String(format: "%04d_%@.sql", version, name) }

    /// Reads every `NNNN_name.sql` in `directory`, in version order.
    /// - Throws: ``MigrationError`` for an unreadable directory, a badly named file or a repeated version.
    public static func load(directory: String) throws(MigrationError) -> [MigrationFile] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw MigrationError(code: .directoryUnreadable, message: "cannot read migrations directory \(directory): \(error)")
        }
        var files: [MigrationFile] = []
        for fileName in names.sorted() where fileName.hasSuffix(".sql") {
            let stem = fileName.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"),
                  let version = Int(stem[..<underscore]), version > 0,
                  stem[..<underscore].count == 4
            else {
                throw MigrationError(code: .badFileName,
                                     message: "\(fileName): migration files are named NNNN_description.sql (four digits, from 0001)")
            }
            guard let data = FileManager.default.contents(atPath: "\(directory)/\(fileName)"),
                  let sql = String(data: data, encoding: .utf8)
            else {
                throw MigrationError(code: .directoryUnreadable, message: "cannot read \(directory)/\(fileName) as UTF-8")
            }
            files.append(MigrationFile(version: version, name: String(stem[stem.index(after: underscore)...]), sql: sql))
        }
        for (previous, next) in zip(files, files.dropFirst()) where previous.version == next.version {
            throw MigrationError(code: .duplicateVersion,
                                 message: "\(previous.fileName) and \(next.fileName) share version \(next.version)")
        }
        return files
    }
}

/// Why migrating stopped: a stable code and a message that says what to do.
public struct MigrationError: Error, Sendable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let directoryUnreadable = Code(rawValue: "migrations.directory_unreadable")
        public static let badFileName = Code(rawValue: "migrations.bad_file_name")
        public static let duplicateVersion = Code(rawValue: "migrations.duplicate_version")
        /// A file was changed after it was applied: write a new migration instead.
        public static let editedAfterApply = Code(rawValue: "migrations.edited_after_apply")
        /// The database has a version this checkout has no file for: the code is older than the schema.
        public static let unknownAppliedVersion = Code(rawValue: "migrations.unknown_applied_version")
        public static let lockTimeout = Code(rawValue: "migrations.lock_timeout")
        public static let statementFailed = Code(rawValue: "migrations.statement_failed")
        /// The database's default collation compares text case-insensitively: ids would collide.
        public static let caseInsensitiveDatabase = Code(rawValue: "migrations.case_insensitive_database")
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
