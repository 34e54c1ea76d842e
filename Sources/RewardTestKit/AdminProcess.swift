import Foundation
import MariaDB

/// Runs `reward-admin` as the on-call engineer would, against a test database and the harness's
/// clusters: settings through the environment and a config file holding the test key ring.
public struct AdminProcess: Sendable {
    public let environment: [String: String]
    public let path: String

    /// - Parameters:
    ///   - database: The migrated test database the command settles into; `nil` for commands without one.
    ///   - harness: Clusters the command reads (written to a cluster directory file); `nil` for none.
    public init(database: TestDatabase?, harness: LaneHarness?) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueTestName("admin")).path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let key = Data(repeating: 42, count: 32).base64EncodedString()  // LaneHarness.keyRing's key 1
        let config = "\(folder)/config.json"
        let catalog = "\(TestEnvironment.repositoryRoot)/ops/config/reward-types.json"
        try Data(#"{"tokens": {"keys": "1:\#(key)", "currentKeyID": 1}, "catalog": {"path": "\#(catalog)"}}"#.utf8)
            .write(to: URL(fileURLWithPath: config))
        var environment = ["REWARD_CONFIG": config, "REWARD_LOG_LEVEL": "error"]
        if let database {
            let db = database.configuration
            environment["REWARD_DB_HOST"] = db.host
            environment["REWARD_DB_PORT"] = String(db.port)
            environment["REWARD_DB_USER"] = db.user
            environment["REWARD_DB_PASSWORD"] = db.password
            environment["REWARD_DB_NAME"] = database.name
            if let socket = db.unixSocket { environment["REWARD_DB_SOCKET"] = socket }
        }
        if let harness {
            let clusters = "\(folder)/clusters.json"
            try harness.writeDirectory(to: clusters)
            environment["REWARD_KAFKA_CLUSTERS"] = clusters
        }
        self.environment = environment
        self.path = "\(try TestEnvironment.binPath())/reward-admin"
    }

    /// The same command with more settings in its environment.
    public func adding(_ extra: [String: String]) -> AdminProcess {
        AdminProcess(environment: environment.merging(extra) { $1 }, path: path)
    }

    /// The same command without `key` among the settings it is given (ops/test sets no `REWARD_DB_*`
    /// of its own, so nothing is inherited either).
    public func removing(_ key: String) -> AdminProcess {
        var environment = environment
        environment[key] = nil
        return AdminProcess(environment: environment, path: path)
    }

    private init(environment: [String: String], path: String) {
        self.environment = environment
        self.path = path
    }

    /// Runs to completion in the repository root (where topics/ and ops/config/ are).
    public func run(_ arguments: [String]) async throws -> ProcessResult {
        try await runExecutable(path, arguments, environment: environment, directory: TestEnvironment.repositoryRoot)
    }

    /// Starts it and hands back the running child (for signals).
    public func start(_ arguments: [String]) throws -> ChildProcess {
        // ChildProcess has no working-directory option: name the repository's files explicitly.
        let root = TestEnvironment.repositoryRoot
        return try ChildProcess(path, arguments + ["--topics-directory", "\(root)/topics"], environment: environment)
    }
}
