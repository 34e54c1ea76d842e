public import Kafka
public import RewardCore

extension ClusterDirectory {
    /// How every client of `cluster` connects: its brokers with the properties and secrets that
    /// secure them. The one way from a directory entry to a Kafka client in the tools and consumers.
    /// - Throws: ``ConfigurationError`` `clusters.unknown`, or `clusters.connection_invalid` naming
    ///   the cluster and the property (a secret inline, a property that is not a connection one,
    ///   an unreadable secret file, a value librdkafka refuses).
    /// - Parameter secretsDirectory: where relative secret file paths are; the process's by default.
    public func connection(_ cluster: ClusterName, secretsDirectory: String? = SecretsDirectory.current)
        throws(ConfigurationError) -> KafkaConnection
    {
        let settings = try entry(cluster).clientSettings(secretsDirectory: secretsDirectory)
        do {
            return try KafkaConnection(bootstrapServers: settings.bootstrapServers, properties: settings.properties,
                                       secretFiles: settings.secretFiles)
        } catch {
            throw ConfigurationError(code: "clusters.connection_invalid", message: "cluster \(cluster): \(error.message)")
        }
    }
}
