import Foundation
import Kafka
import RewardCore
import RewardOps
import RewardTestKit
import Testing

@Suite("topics apply")
struct TopicApplyTests {
    static var topicsDirectory: String { "\(TestEnvironment.repositoryRoot)/topics" }

    @Test("Both clusters declare the same four lanes x roles, each topic in its own file")
    func declarationsAreComplete() throws {
        for cluster in [ClusterName.a, .b] {
            let definitions = try TopicDefinition.load(directory: Self.topicsDirectory, cluster: cluster)
            #expect(definitions.count == Lane.allCases.count * TopicRole.allCases.count)
            for lane in Lane.allCases {
                for role in TopicRole.allCases {
                    #expect(TopicDefinition.find(definitions, lane: lane, role: role) != nil, "\(cluster) \(lane) \(role)")
                }
            }
        }
    }

    @Test("Apply creates what is missing, then does nothing, and reports a differing topic")
    func applyIsIdempotent() async throws {
        let logger = makeTestLogger("topics")
        let host = try DevKafkaHost(names: ["A"], logger: logger)
        defer { host.shutdown() }
        let entry = try host.directory.entry(.a)
        let administration = MockTopicAdministration(
            admin: try KafkaAdmin(connection: try host.directory.connection(.a), logger: logger),
            control: try KafkaMockControlClient(address: try #require(entry.control)), cluster: .a)
        let applier = TopicApplier(administration: administration)
        let definitions = try TopicDefinition.load(directory: Self.topicsDirectory, cluster: .a)

        let first = try await applier.apply(definitions)
        #expect(first.allSatisfy { $0.outcome == .created })
        let second = try await applier.apply(definitions)
        #expect(second.allSatisfy { $0.outcome == .matchesExceptUncheckedConfigs })

        var changed = definitions[0]
        changed.partitions += 4
        let third = try await applier.apply([changed])
        guard case .differs(let differences) = third.first?.outcome else {
            Issue.record("a topic with other partitions was not reported: \(third)")
            return
        }
        #expect(differences.contains { $0.hasPrefix("partitions:") })
    }

    @Test("reward-admin topics apply against the dev-kafka process: creates, then reports nothing to do")
    func adminAgainstDevKafkaProcess() async throws {
        let admin = "\(try TestEnvironment.binPath())/reward-admin"
        let clusters = try TestEnvironment.sharedClusterDirectory()
        let environment = ["REWARD_KAFKA_CLUSTERS": clusters]
        for cluster in ["A", "B"] {
            let first = try await runExecutable(admin, ["topics", "apply", "--cluster", cluster],
                                                environment: environment, directory: TestEnvironment.repositoryRoot)
            #expect(first.status == 0, "\(first.output) \(first.errorOutput)")
            let second = try await runExecutable(admin, ["topics", "apply", "--cluster", cluster],
                                                 environment: environment, directory: TestEnvironment.repositoryRoot)
            #expect(second.status == 0, "\(second.output) \(second.errorOutput)")
            #expect(!second.output.contains("created"), "second apply created again: \(second.output)")
            #expect(second.output.split(separator: "\n").count == 6)
        }
        let directory = try ClusterDirectory.load(from: clusters)
        let described = try await KafkaAdmin(connection: try directory.connection(.b),
                                             logger: makeTestLogger("t")).describeTopics()
        #expect(Set(described.map(\.name)).isSuperset(of: ["reward-cash", "reward-goods", "reward-cash-retry", "reward-goods-dlt"]))
    }
}
