import Foundation
public import Logging
public import MariaDB

/// The MariaDB server that `ops/test` started for this test run, read from `REWARD_TEST_MARIADB_*`.
///
/// Tests never skip silently: without the environment every call throws ``TestEnvironmentError``.
/// Each test makes its own database with ``makeDatabase(prefix:)`` or ``withDatabase(prefix:_:)``,
/// so tests can run in parallel against one server.
public enum TestMariaDB {
    /// The server's root-level configuration (no database selected).
    ///
    /// Reads `REWARD_TEST_MARIADB_HOST`, `_PORT`, `_SOCKET` (used when set), `_USER` (default `root`)
    /// and `_PASSWORD` (default empty).
    /// - Throws: ``TestEnvironmentError`` when neither host nor socket is set, or the port is not a number.
    public static func serverConfiguration() throws -> MariaDBConfiguration {
        try serverConfiguration(environment: ProcessInfo.processInfo.environment)
    }

    /// The server configuration from an explicit set of `REWARD_TEST_MARIADB_*` variables.
    /// - Parameter environment: The variables to read.
    /// - Throws: ``TestEnvironmentError`` when neither host nor socket is set, or the port is not a number.
    public static func serverConfiguration(environment: [String: String]) throws -> MariaDBConfiguration {
        let host = environment["REWARD_TEST_MARIADB_HOST"].flatMap { $0.isEmpty ? nil : $0 }
        let socket = environment["REWARD_TEST_MARIADB_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        guard host != nil || socket != nil else {
            throw TestEnvironmentError(
                "REWARD_TEST_MARIADB_HOST is not set: run the tests through ops/test "
                    + "(it starts MariaDB and sets REWARD_TEST_MARIADB_*)")
        }
        var configuration = MariaDBConfiguration(
            user: environment["REWARD_TEST_MARIADB_USER"] ?? "root",
            password: environment["REWARD_TEST_MARIADB_PASSWORD"] ?? ""
        )
        if let host { configuration.host = host }
        if let portText = environment["REWARD_TEST_MARIADB_PORT"], !portText.isEmpty {
            guard let port = Int(portText) else {
                throw TestEnvironmentError(
                    "REWARD_TEST_MARIADB_PORT is not a number: run the tests through ops/test "
                        + "(it starts MariaDB and sets REWARD_TEST_MARIADB_*)")
            }
            configuration.port = port
        }
        configuration.unixSocket = socket
        return configuration
    }

    /// Creates a uniquely named, empty database (`t_<prefix>_<random>`) on the test server.
    /// - Parameter prefix: A short name for the test; letters, digits and `_` are kept.
    /// - Returns: The database and a configuration that selects it.
    /// - Throws: ``TestEnvironmentError`` without the environment, or ``MariaDBError``.
    public static func makeDatabase(prefix: String) async throws -> TestDatabase {
        try await makeDatabase(prefix: prefix, server: serverConfiguration())
    }

    /// Creates a uniquely named database on any server (for example a ``MariaDBServerProcess``).
    /// - Parameters:
    ///   - prefix: A short name for the test.
    ///   - server: A configuration with rights to create databases.
    public static func makeDatabase(prefix: String, server: MariaDBConfiguration) async throws -> TestDatabase {
        let name = uniqueName(prefix: prefix)
        try await runScript("CREATE DATABASE `\(name)` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", on: server)
        var configuration = server
        configuration.database = name
        return TestDatabase(name: name, configuration: configuration, server: server)
    }

    /// Runs `body` with a fresh database and drops it afterwards, also when `body` throws.
    /// - Parameters:
    ///   - prefix: A short name for the test.
    ///   - body: Receives a configuration that selects the new database.
    public static func withDatabase<T>(
        prefix: String = "test",
        _ body: (MariaDBConfiguration) async throws -> T
    ) async throws -> T {
        let database = try await makeDatabase(prefix: prefix)
        do {
            let result = try await body(database.configuration)
            try await database.drop()
            return result
        } catch {
            try? await database.drop()
            throw error
        }
    }

    /// Kills another connection (`KILL CONNECTION`) and waits until the server has really dropped
    /// it, so that connection's next request — a `COMMIT`, say — meets a dead socket.
    /// - Parameters:
    ///   - connectionID: The victim's ``MariaDBConnection/connectionID``.
    ///   - killer: Another connection to the same server.
    /// - Throws: ``MariaDBError``, or ``TestEnvironmentError`` when the victim is still there after 5 s.
    public static func kill(_ connectionID: UInt64, from killer: MariaDBConnection) async throws {
        try await killer.executeScript("KILL CONNECTION \(connectionID)")
        for _ in 0..<500 {
            let rows = try await killer.query("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID = \(connectionID)")
            if try rows[0].decode("n", as: Int.self) == 0 { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestEnvironmentError("connection \(connectionID) was still there 5 s after KILL CONNECTION")
    }

    /// A logger that discards everything, so tests never touch the global logging bootstrap.
    public static let quietLogger = Logger(label: "reward.test.mariadb") { _ in SwiftLogNoOpLogHandler() }

    /// Runs `sql` on a short-lived connection to `server`.
    static func runScript(_ sql: String, on server: MariaDBConfiguration) async throws {
        let connection = try await MariaDBConnection.connect(configuration: server, logger: quietLogger)
        do {
            try await connection.executeScript(sql)
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
    }

    static func uniqueName(prefix: String) -> String {
        let cleaned = prefix.lowercased().unicodeScalars.map { scalar -> Character in
            (scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar))) ? Character(scalar) : "_"
        }
        let random = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        return "t_\(String(cleaned.prefix(40)))_\(random)"
    }
}

/// A throwaway database made by ``TestMariaDB/makeDatabase(prefix:)``.
public struct TestDatabase: Sendable {
    /// The database name.
    public let name: String
    /// Connects to the server with this database selected.
    public let configuration: MariaDBConfiguration
    let server: MariaDBConfiguration

    /// Drops the database.
    /// - Throws: ``MariaDBError`` if the server cannot be reached.
    public func drop() async throws {
        try await TestMariaDB.runScript("DROP DATABASE IF EXISTS `\(name)`", on: server)
    }
}

/// The test environment is not set up; the message says how to run the tests.
public struct TestEnvironmentError: Error, CustomStringConvertible {
    /// What is missing and how to fix it.
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
