import ArgumentParser
import Foundation
import Logging
import RewardCore
import RewardOps
import ServiceLifecycle

struct DevKafkaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-kafka",
        abstract: "Host the dev Kafka clusters A and B (librdkafka mock clusters) until stopped.",
        discussion: """
            Writes the clusters' bootstrap addresses and the control channel to the cluster directory
            file, which every other command, service and test reads. Stop with SIGTERM or Ctrl-C; the
            clusters and their data live only as long as this process.
            """)

    @Option(help: "Where to write the cluster directory.")
    var write = ClusterDirectory.defaultPath

    @Option(help: "Brokers per cluster.")
    var brokers = 3

    @Option(help: "Control channel port on 127.0.0.1 (0: any free port).")
    var controlPort: UInt16 = 0

    func run() async throws {
        let context = try await CommandContext.make(label: "dev-kafka")
        let host = try DevKafkaHost(brokers: brokers, controlPort: controlPort, logger: context.logger)
        try host.directory.write(to: write)
        for cluster in host.clusters {
            print("dev-kafka: cluster \(cluster.name) at \(cluster.bootstrapServers)")
        }
        print("dev-kafka: control at \(host.control.address); directory written to \(write)")
        let group = ServiceGroup(
            services: [DevKafkaService(host: host, directoryPath: write)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: context.logger)
        try await group.run()
        print("dev-kafka: stopped")
    }
}

/// Keeps the clusters alive until a shutdown signal, then removes the directory file so nobody
/// connects to clusters that no longer exist.
struct DevKafkaService: Service {
    let host: DevKafkaHost
    let directoryPath: String

    func run() async throws {
        try? await gracefulShutdown()
        host.shutdown()
        try? FileManager.default.removeItem(atPath: directoryPath)
    }
}
