import Kafka
import RewardCore

/// Makes a cluster hold the declared topics: creates what is missing and reports what differs.
///
/// It never changes an existing topic: partition counts only grow in Kafka and moving keys
/// between partitions reorders events, so a difference is a decision for a person.
public struct TopicApplier: Sendable {
    public enum Outcome: Sendable, Equatable {
        case created
        case matches
        /// The topic exists but not as declared; each string says what differs.
        case differs([String])
        /// Configs could not be compared because the cluster cannot describe them.
        case matchesExceptUncheckedConfigs
    }

    public struct Item: Sendable, Equatable {
        public var definition: TopicDefinition
        public var outcome: Outcome
    }

    private let administration: any TopicAdministration

    public init(administration: any TopicAdministration) {
        self.administration = administration
    }

    /// Compares and, unless `dryRun`, creates the missing topics.
    public func apply(_ definitions: [TopicDefinition], dryRun: Bool = false) async throws -> [Item] {
        let existing = Dictionary(
            uniqueKeysWithValues: try await administration.describe(definitions.map(\.name)).map { ($0.name, $0) })
        var items: [Item] = []
        for definition in definitions {
            guard let topic = existing[definition.name] else {
                if !dryRun { try await administration.create(definition) }
                items.append(Item(definition: definition, outcome: .created))
                continue
            }
            var differences: [String] = []
            if topic.partitions.count != definition.partitions {
                differences.append("partitions: declared \(definition.partitions), cluster has \(topic.partitions.count)")
            }
            if topic.replicationFactor != definition.replicationFactor {
                differences.append("replicationFactor: declared \(definition.replicationFactor), cluster has \(topic.replicationFactor)")
            }
            guard let configs = try await administration.configs(of: definition.name) else {
                items.append(Item(definition: definition,
                                  outcome: differences.isEmpty ? .matchesExceptUncheckedConfigs : .differs(differences)))
                continue
            }
            for (key, value) in definition.configs.sorted(by: { $0.key < $1.key }) where configs[key] != value {
                differences.append("\(key): declared \(value), cluster has \(configs[key] ?? "the broker default")")
            }
            items.append(Item(definition: definition, outcome: differences.isEmpty ? .matches : .differs(differences)))
        }
        return items
    }
}
