import Foundation

/// Paths and servers that ops/test hands to the tests through the environment.
public enum TestEnvironment {
    /// The repository root: `REWARD_TEST_ROOT`, else found from this file's location.
    public static var repositoryRoot: String {
        if let root = ProcessInfo.processInfo.environment["REWARD_TEST_ROOT"] { return root }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    /// The folder with the built executables (`reward-admin`, ...).
    /// - Throws: when the tests were not started through ops/test.
    public static func binPath() throws -> String {
        try required("REWARD_TEST_BIN_PATH", "the folder of the built executables")
    }

    /// The cluster directory of the dev clusters ops/test started (a separate process).
    public static func sharedClusterDirectory() throws -> String {
        try required("REWARD_KAFKA_CLUSTERS", "the dev-kafka cluster directory")
    }

    static func required(_ name: String, _ what: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            throw MissingTestEnvironment(description:
                "\(name) (\(what)) is not set: run the tests through ops/test, which builds the tools, starts MariaDB and the dev Kafka clusters and sets it")
        }
        return value
    }
}

/// A test needs something that only ops/test provides; tests never skip silently.
public struct MissingTestEnvironment: Error, CustomStringConvertible {
    public let description: String
}
