import DownstreamSimulator
import Foundation
import Kafka
import Logging
import MariaDB
import RewardCore
import RewardOps
import ServiceLifecycle
import Synchronization

/// One scenario of `reward-bench pace`: a backlog on some clusters, the fleet started, drained, measured.
struct PaceRun {
    let plan: [PaceType]
    let clusters: ClusterDirectory
    let onClusters: [String]
    let database: BenchDatabase
    let instances: Int
    let topicsDirectory: String
    let ratesPath: String
    let catalogPath: String
    let logLevel: String
    let logs: URL
    let logger: Logger

    /// Per type: what was credited when, from the claims table (server clock), and the partner's view.
    struct Result {
        var type: PaceType
        var credited: Int
        var fromStart: Double
        var fromFirstCredit: Double
        var busiestSlice: Int?
        var rejected429: Int?
        var ideal: Double { Double(type.backlog) / type.rate }
    }

    func measure(timeout: Duration) async throws -> [Result] {
        let runID = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let key = (0..<32).map { _ in UInt8.random(in: 0...255) }
        let keyRing = try TokenKeyRing(keys: [1: key], currentKeyID: 1)
        try await produceBacklog(runID: runID, keyRing: keyRing)

        // The partner answers 429 beyond 110% of our fleet rate per slice (arrival time), as in
        // ops/demo: our configured rate leaves a partner's usual headroom for transit jitter, and a
        // burst shows as 429s (each of which halves our rate for a while), not as speed.
        let partnerRate = plan.filter(\.http).map(\.rate).max() ?? 1_000
        var configuration = DownstreamSimulator.Configuration()
        configuration.knobs = SimulatorKnobs(capacityPerSlice: max(1, Int(partnerRate * 1.1 / 10)))
        let simulator = DownstreamSimulator(configuration: configuration, logger: logger)
        let group = ServiceGroup(services: [simulator], logger: logger)
        let server = Task { try await group.run() }
        defer { server.cancel() }
        let port = try await simulator.waitUntilListening()

        let fleet = PaceFleet(logDirectory: logs)
        let environment = [
            "REWARD_DB_NAME": database.name,
            "REWARD_RATES_PATH": ratesPath,
            "REWARD_CATALOG_PATH": catalogPath,
            "REWARD_TOKENS_KEYS": "1:" + Data(key).base64EncodedString(),
            "REWARD_TOKENS_CURRENT_KEY_ID": "1",
            "REWARD_LEDGERS_PARTNER_PRIZES_URL": "http://127.0.0.1:\(port)",
            "REWARD_LOG_LEVEL": logLevel,
        ]
        let start = try await database.pool.query("SELECT DATE_FORMAT(NOW(6), '%Y-%m-%d %H:%i:%s.%f') AS now")[0].decode("now", as: String.self)
        for cluster in ["A", "B"] {
            for lane in Set(plan.map(\.lane)).sorted(by: { $0.rawValue < $1.rawValue }) {
                let definitions = try TopicDefinition.load(directory: topicsDirectory, cluster: ClusterName(rawValue: cluster))
                guard let topic = TopicDefinition.find(definitions, lane: lane, role: .main)?.name else { continue }
                for index in 0..<instances {
                    try fleet.start(cluster: cluster, topic: topic, instance: "pace-\(runID)-\(cluster)-\(lane.rawValue)-\(index)",
                                    topicsDirectory: topicsDirectory, environment: environment)
                }
            }
        }
        let total = plan.map(\.backlog).reduce(0, +)
        let deadline = ContinuousClock.now + timeout
        var done = 0
        while ContinuousClock.now < deadline {
            done = try await database.pool.query("""
                SELECT COUNT(*) AS n FROM order_claims WHERE order_id LIKE \("pace-\(runID)-%") AND state = 'credited'
                """)[0].decode("n", as: Int.self)
            if done >= total { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        let failed = await fleet.stop()
        if !failed.isEmpty { print("pace: consumers that did not stop cleanly: \(failed.joined(separator: ", ")) (logs in \(logs.path))") }
        guard done >= total else {
            throw PaceError(message: "only \(done) of \(total) credited within \(timeout); consumer logs in \(logs.path)")
        }
        let stats = simulator.stats
        await group.triggerGracefulShutdown()
        _ = await server.result

        var results: [Result] = []
        for type in plan {
            let row = try await database.pool.query("""
                SELECT COUNT(*) AS n,
                       TIMESTAMPDIFF(MICROSECOND, \(start), MAX(credited_at)) AS from_start,
                       TIMESTAMPDIFF(MICROSECOND, MIN(credited_at), MAX(credited_at)) AS from_first
                FROM order_claims WHERE order_id LIKE \("pace-\(runID)-\(type.id)-%") AND state = 'credited'
                """)[0]
            results.append(Result(
                type: type, credited: try row.decode("n", as: Int.self),
                fromStart: Double(try row.decode("from_start", as: Int64.self)) / 1e6,
                fromFirstCredit: Double(try row.decode("from_first", as: Int64.self)) / 1e6,
                busiestSlice: type.http ? stats.maxPerPacedSlice : nil, rejected429: type.http ? stats.rejected429 : nil))
        }
        return results
    }

    /// Rate x seconds events per type, spread round-robin over `onClusters`, on each type's lane topic.
    private func produceBacklog(runID: String, keyRing: TokenKeyRing) async throws {
        for (offset, cluster) in onClusters.enumerated() {
            guard let entry = clusters.clusters[cluster] else { throw PaceError(message: "cluster \(cluster) is not in the cluster directory") }
            let definitions = try TopicDefinition.load(directory: topicsDirectory, cluster: ClusterName(rawValue: cluster))
            var configuration = KafkaProducerConfiguration(bootstrapServers: entry.bootstrapServerList)
            configuration.clientID = "bench-pace"
            let producer = try KafkaProducer(configuration: configuration, logger: logger)
            let failed = Atomic<Int>(0)
            let now = Date()
            for type in plan {
                guard let topic = TopicDefinition.find(definitions, lane: type.lane, role: .main)?.name else { continue }
                for n in stride(from: offset, to: type.backlog, by: onClusters.count) {
                    let event = BenchGrant.event(keyRing, order: "pace-\(runID)-\(type.id)-\(n)", user: "pace-u\(n % 50_000)",
                                                 type: type.id, amount: 1, lane: type.lane,
                                                 activity: Activity(id: "pace", sceneID: "backlog"), now: now)
                    try producer.send(KafkaProducerMessage(topic: topic, key: event.key, value: event.encoded())) { result in
                        if case .failure = result { failed.add(1, ordering: .relaxed) }
                    }
                }
            }
            let flushed = await producer.flush(timeout: .seconds(120))
            await producer.shutdown()
            guard flushed, failed.load(ordering: .relaxed) == 0 else {
                throw PaceError(message: "the backlog on \(cluster) was not fully produced (\(failed.load(ordering: .relaxed)) failed)")
            }
        }
    }
}

struct PaceError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
