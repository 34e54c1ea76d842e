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
        let total = plan.map(\.backlog).reduce(0, +)
        var (start, done) = ("", 0)
        // Whatever fails once consumers run, they are stopped: a failed run left four spinning.
        do {
            try await applyTopics()
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
            // A festival night's fleet is running when the backlog builds: the group joins are not part
            // of draining it (they cost ~3 s here, and the efficiency from start used to include them).
            try await warmUp(runID: runID, keyRing: keyRing, timeout: timeout)
            let backlog = try makeBacklog(runID: runID, keyRing: keyRing)
            try await recordTokens(backlog.flatMap(\.events))
            start = try await database.pool.query("SELECT DATE_FORMAT(NOW(6), '%Y-%m-%d %H:%i:%s.%f') AS now")[0].decode("now", as: String.self)
            for (cluster, events) in backlog {
                try await produce(events.map { KafkaProducerMessage(topic: $0.topic, key: $0.event.key, value: $0.event.encoded()) }, to: cluster)
            }
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                done = try await database.pool.query("""
                    SELECT COUNT(*) AS n FROM order_claims WHERE order_id LIKE \("pace-\(runID)-%") AND state = 'credited'
                    """)[0].decode("n", as: Int.self)
                if done >= total { break }
                try await Task.sleep(for: .milliseconds(250))
            }
        } catch {
            _ = await fleet.stop()
            throw error
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

    /// Until every partition of every lane topic on both clusters has a consumer: one record into
    /// each partition, all credited; twice, a second apart, so a rebalance still under way when the
    /// first round was credited is over too.
    private func warmUp(runID: String, keyRing: TokenKeyRing, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        // One type per lane topic warms every partition the cluster has; looked up once, used each round.
        var targets: [(cluster: String, topic: String, type: PaceType, partitions: [Int32])] = []
        for cluster in ["A", "B"] {
            let definitions = try TopicDefinition.load(directory: topicsDirectory, cluster: ClusterName(rawValue: cluster))
            for type in plan {
                guard let topic = TopicDefinition.find(definitions, lane: type.lane, role: .main)?.name,
                      !targets.contains(where: { $0.cluster == cluster && $0.topic == topic }) else { continue }
                targets.append((cluster, topic, type, try await partitions(of: topic, on: cluster)))
            }
        }
        for round in 0..<2 {
            var sent = 0
            for cluster in ["A", "B"] {
                let messages = targets.filter { $0.cluster == cluster }.flatMap { target in
                    target.partitions.map { partition in
                        let event = BenchGrant.event(keyRing, order: "warm-\(runID)-\(round)-\(cluster)-\(target.topic)-\(partition)",
                                                     user: "warm-u\(partition)", type: target.type.id, amount: 1, lane: target.type.lane,
                                                     activity: Activity(id: "pace-warm", sceneID: "warm"))
                        return KafkaProducerMessage(topic: target.topic, partition: partition, key: event.key, value: event.encoded())
                    }
                }
                try await produce(messages, to: cluster)
                sent += messages.count
            }
            while true {
                let credited = try await database.pool.query("""
                    SELECT COUNT(*) AS n FROM order_claims WHERE order_id LIKE \("warm-\(runID)-\(round)-%") AND state = 'credited'
                    """)[0].decode("n", as: Int.self)
                if credited >= sent { break }
                guard ContinuousClock.now < deadline else { throw PaceError(message: "the fleet did not warm up within \(timeout)") }
                try await Task.sleep(for: .milliseconds(100))
            }
            if round == 0 { try await Task.sleep(for: .seconds(1)) }
        }
    }

    /// Creates the lane topics `topics/` declares where a cluster lacks them (ops/dev-up applies
    /// them; a test's clusters may not have them yet), as `reward-admin topics apply` does.
    private func applyTopics() async throws {
        for cluster in ["A", "B"] {
            let name = ClusterName(rawValue: cluster)
            let definitions = try TopicDefinition.load(directory: topicsDirectory, cluster: name)
            _ = try await TopicApplier(administration: try clusters.topicAdministration(name, logger: logger)).apply(definitions)
        }
    }

    /// The topic's partitions as the cluster has them (a test cluster may have created it with
    /// fewer than `topics/` declares).
    private func partitions(of topic: String, on cluster: String) async throws -> [Int32] {
        let admin = try KafkaAdmin(connection: try clusters.connection(ClusterName(rawValue: cluster)), clientID: "bench-pace", logger: logger)
        let found = try await admin.describeTopics([topic]).first?.partitions.map(\.id) ?? []
        guard !found.isEmpty else { throw PaceError(message: "\(topic) does not exist on \(cluster): apply topics/ first (ops/dev-up does)") }
        return found.sorted()
    }

    /// Rate x seconds events per type, spread round-robin over `onClusters`, on each type's lane topic.
    private func makeBacklog(runID: String, keyRing: TokenKeyRing) throws -> [(cluster: String, events: [(topic: String, event: BonusEvent)])] {
        let now = Date()
        return try onClusters.enumerated().map { offset, cluster in
            let definitions = try TopicDefinition.load(directory: topicsDirectory, cluster: ClusterName(rawValue: cluster))
            var events: [(topic: String, event: BonusEvent)] = []
            for type in plan {
                guard let topic = TopicDefinition.find(definitions, lane: type.lane, role: .main)?.name else { continue }
                for n in stride(from: offset, to: type.backlog, by: onClusters.count) {
                    events.append((topic, BenchGrant.event(keyRing, order: "pace-\(runID)-\(type.id)-\(n)", user: "pace-u\(n % 50_000)",
                                                           type: type.id, amount: 1, lane: type.lane,
                                                           activity: Activity(id: "pace", sceneID: "backlog"), now: now)))
                }
            }
            return (cluster, events)
        }
    }

    /// The backlog's tokens as the SDK records them at grant time, so the consumers do what they do
    /// on a festival night (look them up, insert none) and not the fallback write of every row.
    private func recordTokens(_ events: [(topic: String, event: BonusEvent)]) async throws {
        for chunk in stride(from: 0, to: events.count, by: 1_000) {
            var query: SQLQuery = """
                INSERT IGNORE INTO reward_tokens (user_id, order_id, token, activity_id, scene_id, reward_type, amount,
                                                  issued_at, expires_at, recorded_by, recorded_at) VALUES
                """
            for (index, item) in events[chunk..<min(events.count, chunk + 1_000)].enumerated() {
                let event = item.event
                query.append(sql: index == 0 ? " " : ", ")
                query.append("""
                    (\(event.user.id), \(event.orderID.rawValue), \(event.token), \(event.activity.id), \(event.activity.sceneID), \
                    \(event.bonus.rewardType), \(event.bonus.amount), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) + INTERVAL 1 DAY, 'sdk', \
                    UTC_TIMESTAMP(6))
                    """)
            }
            try await database.pool.execute(query)
        }
    }

    /// Produces and waits until the cluster acknowledged every record.
    private func produce(_ messages: [KafkaProducerMessage], to cluster: String) async throws {
        var configuration = KafkaProducerConfiguration(connection: try clusters.connection(ClusterName(rawValue: cluster)))
        configuration.clientID = "bench-pace"
        let producer = try KafkaProducer(configuration: configuration, logger: logger)
        let failed = Atomic<Int>(0)
        for message in messages {
            try producer.send(message) { result in
                if case .failure = result { failed.add(1, ordering: .relaxed) }
            }
        }
        let flushed = await producer.flush(timeout: .seconds(120))
        await producer.shutdown()
        guard flushed, failed.load(ordering: .relaxed) == 0 else {
            throw PaceError(message: "records for \(cluster) were not all produced (\(failed.load(ordering: .relaxed)) failed)")
        }
    }
}

struct PaceError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
