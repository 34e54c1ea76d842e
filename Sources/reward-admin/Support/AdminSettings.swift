import ArgumentParser
import Foundation
import RewardConsumer
import RewardCore
import RewardOps

/// Lookups several commands share: a cluster's lane topics, the token key ring, option parsing.
extension CommandContext {
    /// The lane a topic of `cluster` belongs to, with its retry and dead-letter topics.
    func laneTopics(cluster: ClusterName, topic: String, directory: String) throws -> (lane: Lane, retry: String, deadLetter: String) {
        let definitions = try TopicDefinition.load(directory: directory, cluster: cluster)
        guard let definition = definitions.first(where: { $0.name == topic }) else {
            let known = definitions.map(\.name).sorted().joined(separator: ", ")
            throw ValidationError("topic \(topic) is not declared for cluster \(cluster) in \(directory) (known: \(known))")
        }
        guard definition.role != .deadLetter else {
            throw ValidationError("\(topic) is a dead-letter topic: use `reward-admin dlq` for parked records")
        }
        guard let retry = TopicDefinition.find(definitions, lane: definition.lane, role: .retry),
              let deadLetter = TopicDefinition.find(definitions, lane: definition.lane, role: .deadLetter)
        else {
            throw ValidationError("the \(definition.lane) lane of cluster \(cluster) has no retry or dead-letter topic in \(directory)")
        }
        return (definition.lane, retry.name, deadLetter.name)
    }

    func keyRing() throws -> TokenKeyRing {
        try TokenKeyRing(config: config)
    }
}

/// Parses a time option (`2026-02-16T20:00:00Z`, `2026-02-16T20:00Z`, `2026-02-16`).
func parseTimeOption(_ text: String?, _ name: String) throws -> Date? {
    guard let text else { return nil }
    guard let date = Formatting.parseTime(text) else {
        throw ValidationError("\(name) '\(text)' is not a UTC time like 2026-02-16T20:00:00Z or 2026-02-16")
    }
    return date
}
