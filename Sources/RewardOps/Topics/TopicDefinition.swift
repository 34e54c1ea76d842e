import Foundation
public import RewardCore

/// One file of `topics/<cluster>/`: the declared shape of a topic on one cluster.
public struct TopicDefinition: Codable, Sendable, Equatable {
    public var name: String
    public var cluster: ClusterName
    public var lane: Lane
    public var role: TopicRole
    public var partitions: Int
    public var replicationFactor: Int
    public var configs: [String: String]
    public var description: String

    /// Reads every `*.json` under `directory/<cluster>/`, sorted by name.
    /// - Throws: ``ConfigurationError`` naming the file that is unreadable or inconsistent.
    public static func load(directory: String, cluster: ClusterName) throws(ConfigurationError) -> [TopicDefinition] {
        let folder = "\(directory)/\(cluster.rawValue)"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            throw ConfigurationError(code: "topics.missing", message: "no topic files for cluster \(cluster) in \(folder)")
        }
        var definitions: [TopicDefinition] = []
        for fileName in names.sorted() where fileName.hasSuffix(".json") {
            let path = "\(folder)/\(fileName)"
            let definition: TopicDefinition
            do {
                let data = try Data(contentsOf: URL(fileURLWithPath: path))
                definition = try JSONDecoder().decode(TopicDefinition.self, from: data)
            } catch {
                throw ConfigurationError(code: "topics.unreadable", message: "\(path): \(error)")
            }
            guard definition.cluster == cluster, fileName == "\(definition.name).json" else {
                throw ConfigurationError(code: "topics.misplaced",
                                         message: "\(path) declares \(definition.name) on cluster \(definition.cluster); the file must be \(definition.cluster)/\(definition.name).json")
            }
            guard definition.partitions >= 1, definition.replicationFactor >= 1 else {
                throw ConfigurationError(code: "topics.invalid", message: "\(path): partitions and replicationFactor must be at least 1")
            }
            definitions.append(definition)
        }
        return definitions
    }

    /// The topic of `lane` and `role` among `definitions`.
    public static func find(_ definitions: [TopicDefinition], lane: Lane, role: TopicRole) -> TopicDefinition? {
        definitions.first { $0.lane == lane && $0.role == role }
    }
}
