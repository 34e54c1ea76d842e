import Foundation

/// Where each named Kafka cluster is: the file `reward-admin dev-kafka` writes and every other
/// command, service and test reads (`.local/kafka-clusters.json` unless `REWARD_KAFKA_CLUSTERS`
/// names another). In production the same shape lists the real clusters, without `control`, and
/// with the `properties` and `secretFiles` that secure them (TLS, SASL).
public struct ClusterDirectory: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        /// `host:port,host:port` of the cluster's brokers.
        public var bootstrapServers: String
        /// `host:port` of a mock cluster host's control channel; absent for real clusters.
        public var control: String?
        /// librdkafka connection properties for every client of this cluster: `security.protocol`,
        /// `ssl.*`, `sasl.*`, `client.id`, socket timeouts. Secrets never go here.
        public var properties: [String: String]?
        /// Property name → path of a file holding its value: `sasl.password`, `ssl.key.password`, ….
        /// A relative path is read from the process's ``SecretsDirectory`` (systemd's credentials).
        public var secretFiles: [String: String]?

        public init(bootstrapServers: String, control: String? = nil,
                    properties: [String: String]? = nil, secretFiles: [String: String]? = nil) {
            self.bootstrapServers = bootstrapServers
            self.control = control
            self.properties = properties
            self.secretFiles = secretFiles
        }

        /// What a Kafka client of this cluster is made from. There is deliberately no list of
        /// servers alone: whoever connects gets the security properties with them.
        /// - Parameter secretsDirectory: where relative `secretFiles` paths are; the process's by default.
        public func clientSettings(secretsDirectory: String? = SecretsDirectory.current)
            -> (bootstrapServers: [String], properties: [String: String], secretFiles: [String: String])
        {
            (bootstrapServers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }, properties ?? [:],
             (secretFiles ?? [:]).mapValues { SecretsDirectory.resolve($0, in: secretsDirectory) })
        }
    }

    public var clusters: [String: Entry]

    public init(clusters: [String: Entry]) { self.clusters = clusters }

    /// The default location, relative to the working directory, unless the environment names one.
    public static var defaultPath: String {
        ProcessInfo.processInfo.environment["REWARD_KAFKA_CLUSTERS"] ?? ".local/kafka-clusters.json"
    }

    /// Reads the directory.
    /// - Throws: ``ConfigurationError`` naming the file and what is wrong with it.
    public static func load(from path: String = defaultPath) throws(ConfigurationError) -> ClusterDirectory {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(
                code: "clusters.missing",
                message: "no cluster directory at \(path): start the dev clusters (ops/dev-up) or set REWARD_KAFKA_CLUSTERS")
        }
        do {
            return try JSONDecoder().decode(ClusterDirectory.self, from: data)
        } catch {
            throw ConfigurationError(code: "clusters.unreadable", message: "\(path) is not a cluster directory: \(error)")
        }
    }

    /// Writes the directory atomically, so a reader never sees half a file.
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try encoder.encode(self).write(to: url, options: .atomic)
    }

    /// The entry for `name`.
    /// - Throws: ``ConfigurationError`` when the directory has no such cluster.
    public func entry(_ name: ClusterName) throws(ConfigurationError) -> Entry {
        guard let entry = clusters[name.rawValue] else {
            throw ConfigurationError(
                code: "clusters.unknown",
                message: "no cluster named \(name) in the cluster directory (it has \(clusters.keys.sorted().joined(separator: ", ")))")
        }
        return entry
    }
}

/// A configuration value that is missing or wrong: a stable code and a message a person can act on.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible, Equatable {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
