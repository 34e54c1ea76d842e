import DownstreamSimulator
import Foundation
import Kafka
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import MariaDB
import RewardCore
import RewardOps
import RewardTestKit
import ServiceLifecycle

/// The real stack one chaos run drives. `mariadbd`, the Kafka mock clusters (`reward-admin
/// dev-kafka`, driven through its control channel), every lane consumer, `reward-api` and the SDK
/// traffic are processes of their own that the harness kills, stops and restarts; the partner
/// simulator lives in the harness, which is how its faults are injected and its books read.
actor ChaosStack {
    struct Paths: Sendable {
        /// The repository root (topics, migrations, configuration).
        var root: String
        /// The folder of the built executables.
        var bin: String
        /// This run's folder: cluster directory, spools, scopes.
        var work: String
    }

    /// One consumer instance of a lane, restarted under the same instance id after each fault.
    struct Slot: Sendable {
        var cluster: ClusterName
        var topic: String
        var index: Int
        var name: String { "\(cluster.rawValue)-\(topic)-\(index)" }
    }

    static let databaseName = "reward_chaos"
    /// The children's database user: without SUPER, so that `read_only` binds it (root ignores it).
    static let childUser = "chaos"
    /// The token key the probe signs with (`reward-sdk-probe`'s fixed test key), held by every process.
    static let tokenKeys = "1:" + Data([UInt8](repeating: 0x5A, count: 32)).base64EncodedString()
    static let keyRing = try! TokenKeyRing(keys: [1: [UInt8](repeating: 0x5A, count: 32)], currentKeyID: 1)
    static let lanes = ["reward-cash", "reward-goods"]

    nonisolated let paths: Paths
    nonisolated let database: MariaDBServerProcess
    /// `reward-admin dev-kafka`: clusters A and B (3 brokers each) and their control channel.
    private let kafkaHost: ChildProcess
    /// Each cluster's bootstrap servers.
    nonisolated let clusters: [ClusterName: [String]]
    /// Brokers down and up, request errors, round trips, leaders: the mock host's control channel.
    nonisolated let mock: KafkaMockControlClient
    static let brokersPerCluster: Int32 = 3
    private var stoppingKafka = false
    nonisolated let simulator: DownstreamSimulator
    nonisolated let simulatorPort: Int
    nonisolated let pool: MariaDBPool
    nonisolated let slots: [Slot]
    private let simulatorGroup: ServiceGroup
    private let simulatorTask: Task<Void, any Error>
    private let logger: Logger

    private var running: [Int: ChildProcess] = [:]
    private var stopping: Set<Int> = []
    /// Slots last stopped with SIGKILL (their status is SIGKILL by design).
    private var killed: Set<Int> = []
    private var extras: [ChildProcess] = []
    /// Exits nobody asked for: a crash or a crash loop.
    private(set) var crashes: [String] = []
    /// How each slot's consumer last exited, for a fault that expects a halt.
    struct Exit: Sendable {
        var status: Int32
        var errorOutput: String
    }
    private(set) var lastExits: [Int: Exit] = [:]
    /// Slots whose consumer runs with a skewed wall clock (`clock-skew`), in milliseconds.
    private var clockOffsets: [Int: Int64] = [:]
    /// Where each slot's consumer serves `/metrics`, for a failed run's diagnosis.
    private(set) var metricsPorts: [Int: Int] = [:]
    private(set) var api: (process: ChildProcess, port: Int)?
    private var apiAlive = false

    static func start(paths: Paths, instances: Int, partnerCapacityPerSlice: Int, logger: Logger) async throws -> ChaosStack {
        let database = try MariaDBServerProcess()
        try await database.start()
        var configuration = database.configuration
        configuration.readTimeout = .seconds(10)
        configuration.pool.maxConnections = 8
        let admin = try await MariaDBConnection.connect(configuration: configuration, logger: logger)
        try await admin.executeScript("""
            CREATE DATABASE IF NOT EXISTS \(databaseName) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
            CREATE USER IF NOT EXISTS '\(childUser)'@'%' IDENTIFIED BY '\(childUser)';
            GRANT ALL PRIVILEGES ON \(databaseName).* TO '\(childUser)'@'%';
            """)
        await admin.close()
        configuration.database = databaseName
        let pool = MariaDBPool(configuration: configuration, logger: logger)
        _ = try await MigrationRunner(pool: pool, logger: logger).migrate(try MigrationFile.load(directory: "\(paths.root)/migrations"))

        say("  mariadbd on 127.0.0.1:\(configuration.port), database \(databaseName) migrated")
        // The mock clusters live in a process of their own: librdkafka's mock can abort on a group
        // join racing a broker restart (an assertion in rd_kafka_mock_cgrp_member_add), and then the
        // run must say so, not die with it.
        let kafka = try ChildProcess("\(paths.bin)/reward-admin", ["dev-kafka", "--write", "\(paths.work)/clusters.json"],
                                     environment: ["REWARD_LOG_LEVEL": "warning"])
        Task { for await _ in kafka.lines {} }
        let deadline = ContinuousClock.now + .seconds(30)
        while !FileManager.default.fileExists(atPath: "\(paths.work)/clusters.json") {
            guard ContinuousClock.now < deadline else { throw ChaosError("reward-admin dev-kafka did not write its cluster directory in 30 s") }
            try await Task.sleep(for: .milliseconds(50))
        }
        try await Task.sleep(for: .milliseconds(100))  // written whole (it is small; one write)
        let directory = try ClusterDirectory.load(from: "\(paths.work)/clusters.json")
        var clusters: [ClusterName: [String]] = [:]
        var control: KafkaMockControlClient?
        for name in [ClusterName.a, .b] {
            let entry = try directory.entry(name)
            clusters[name] = entry.clientSettings().bootstrapServers  // the mock clusters: plaintext
            guard let address = entry.control else { throw ChaosError("dev-kafka wrote no control address") }
            let client = try KafkaMockControlClient(address: address)
            control = client
            for definition in try TopicDefinition.load(directory: "\(paths.root)/topics", cluster: name) {
                try await client.createTopic(cluster: name.rawValue, topic: definition.name, partitions: definition.partitions,
                                             replicationFactor: definition.replicationFactor)
            }
        }
        guard let control else { throw ChaosError("no clusters") }

        var simulatorConfiguration = DownstreamSimulator.Configuration()
        simulatorConfiguration.knobs = SimulatorKnobs(capacityPerSlice: partnerCapacityPerSlice)
        simulatorConfiguration.historySlices = 36_000
        let simulator = DownstreamSimulator(configuration: simulatorConfiguration, logger: logger)
        let group = ServiceGroup(services: [simulator], logger: logger)
        let task = Task { try await group.run() }
        let simulatorPort = try await simulator.waitUntilListening()
        say("  Kafka mock clusters A and B (reward-admin dev-kafka: \(clusters.sorted { $0.key.rawValue < $1.key.rawValue }.map { $0.value.joined(separator: ",") }.joined(separator: " / "))); partner simulator on :\(simulatorPort)")

        let slots = [ClusterName.a, .b].flatMap { cluster in
            lanes.flatMap { topic in (0..<instances).map { Slot(cluster: cluster, topic: topic, index: $0) } }
        }
        let stack = ChaosStack(paths: paths, database: database, kafkaHost: kafka, clusters: clusters, mock: control, simulator: simulator,
                               simulatorPort: simulatorPort, pool: pool, slots: slots, simulatorGroup: group, simulatorTask: task, logger: logger)
        await stack.watchKafkaHost()
        try await stack.startAll()
        say("  \(slots.count) consumers and reward-api started")
        return stack
    }

    private init(paths: Paths, database: MariaDBServerProcess, kafkaHost: ChildProcess, clusters: [ClusterName: [String]],
                 mock: KafkaMockControlClient, simulator: DownstreamSimulator, simulatorPort: Int, pool: MariaDBPool, slots: [Slot],
                 simulatorGroup: ServiceGroup, simulatorTask: Task<Void, any Error>, logger: Logger) {
        self.paths = paths
        self.database = database
        self.kafkaHost = kafkaHost
        self.clusters = clusters
        self.mock = mock
        self.simulator = simulator
        self.simulatorPort = simulatorPort
        self.pool = pool
        self.slots = slots
        self.simulatorGroup = simulatorGroup
        self.simulatorTask = simulatorTask
        self.logger = logger
    }

    /// What every child process is told: this run's database, clusters, key and downstream; short
    /// database timeouts, so that a stopped `mariadbd` is noticed within the run.
    nonisolated var environment: [String: String] {
        let database = self.database.configuration
        return [
            "REWARD_MODE": "development",
            "REWARD_CONFIG": "\(paths.root)/ops/config/dev.json",
            "REWARD_KAFKA_CLUSTERS": "\(paths.work)/clusters.json",
            "REWARD_DB_HOST": database.host, "REWARD_DB_PORT": String(database.port),
            "REWARD_DB_USER": Self.childUser, "REWARD_DB_PASSWORD": Self.childUser, "REWARD_DB_NAME": Self.databaseName,
            "REWARD_DB_SOCKET": "\(self.database.directory.path)/sock",
            "REWARD_DB_READ_TIMEOUT_MS": "5000", "REWARD_DB_WRITE_TIMEOUT_MS": "5000", "REWARD_DB_CONNECT_TIMEOUT_MS": "2000",
            "REWARD_CATALOG_PATH": "\(paths.root)/ops/config/reward-types.json",
            "REWARD_RATES_PATH": "\(paths.root)/ops/config/rate-limits.json",
            "REWARD_TOKENS_KEYS": Self.tokenKeys, "REWARD_TOKENS_CURRENT_KEY_ID": "1",
            "REWARD_LEDGERS_PARTNER_PRIZES_URL": "http://127.0.0.1:\(simulatorPort)",
            "REWARD_LOG_LEVEL": ProcessInfo.processInfo.environment["REWARD_CHAOS_CHILD_LOG_LEVEL"] ?? "info",
        ]
    }

    private func startAll() async throws {
        for index in slots.indices { try startConsumer(index) }
        try await startAPI()
    }

    // MARK: Kafka host

    private var kafkaStopped = false

    /// An exit of the mock host before the end is a failed run: the clusters and their records are gone.
    func watchKafkaHost() {
        let host = kafkaHost
        Task {
            let exit = await host.waitForExit(limit: .seconds(365 * 86_400))
            self.kafkaHostExited(exit)
        }
    }

    private func kafkaHostExited(_ exit: (status: Int32, errorOutput: String)) {
        kafkaStopped = true
        keepLog("dev-kafka", exit)
        guard !stoppingKafka else { return }
        let assertion = exit.errorOutput.split(separator: "\n").first { $0.contains("Assertion") }.map(String.init)
        crashes.append("the Kafka mock host exited with status \(exit.status)"
                       + (assertion.map { " (librdkafka's mock: \($0)); not a fault of ours, but the run cannot go on" } ?? ""))
        say("  ! \(crashes.last ?? "")")
    }

    // MARK: Consumers

    /// Starts the slot's consumer under its fixed instance id; an exit nobody asked for is
    /// recorded as a crash and the slot restarted after a second, as systemd would.
    func startConsumer(_ index: Int) throws {
        let slot = slots[index]
        var environment = self.environment
        if let offset = clockOffsets[index] { environment["REWARD_CLOCK_OFFSET_MILLISECONDS"] = String(offset) }
        let child = try ChildProcess("\(paths.bin)/reward-consumer", [
            "--cluster", slot.cluster.rawValue, "--topic", slot.topic, "--topics-directory", "\(paths.root)/topics",
            "--metrics-port", "0", "--instance-id", "chaos-\(slot.name)",
        ], environment: environment)
        running[index] = child
        stopping.remove(index)
        killed.remove(index)
        Task {
            for await line in child.lines {
                if let range = line.range(of: "metrics on 127.0.0.1:"), let port = Int(line[range.upperBound...]) {
                    self.metricsPorts[index] = port
                }
            }
        }
        Task {
            let exit = await child.waitForExit(limit: .seconds(365 * 86_400))
            await self.exited(index, child, exit)
        }
    }

    private func exited(_ index: Int, _ child: ChildProcess, _ exit: (status: Int32, errorOutput: String)) async {
        keepLog("consumer-\(slots[index].name)-\(child.processIdentifier)", exit)
        guard running[index] === child else { return }
        running[index] = nil
        lastExits[index] = Exit(status: exit.status, errorOutput: String(exit.errorOutput.suffix(20_000)))
        guard !stopping.contains(index) else { return }
        crashes.append("consumer \(slots[index].name) exited by itself with status \(exit.status): \(Self.lastLines(exit.errorOutput))")
        say("  ! \(crashes.last ?? "")")
        try? await Task.sleep(for: .seconds(1))
        if running[index] == nil, !stopping.contains(index) { try? startConsumer(index) }
    }

    /// Sends `signal` to the slot's consumer; SIGKILL and SIGTERM are expected exits.
    func signalConsumer(_ index: Int, _ signal: Int32) {
        if signal == SIGKILL || signal == SIGTERM { stopping.insert(index) }
        if signal == SIGKILL { killed.insert(index) } else if signal == SIGTERM { killed.remove(index) }
        running[index]?.send(signal: signal)
    }

    /// Starts a slot again once the consumer it was told to stop has exited (a no-op while it runs).
    func restartConsumer(_ index: Int) async throws {
        if running[index] != nil, stopping.contains(index) {
            await awaitStopped([index])
            return try startConsumer(index)
        }
        if running[index] == nil { try startConsumer(index) }
    }

    /// Waits for consumers told to stop: the slots' monitors see the exits (a child is awaited
    /// once). One still running after 30 s is a crash (unless it was SIGKILLed), said with the
    /// kernel's view of it, and is killed; then at most 10 s more.
    private func awaitStopped(_ indices: [Int]) async {
        guard await !exitedWithin(.seconds(30), { stack in indices.allSatisfy { stack.running[$0] == nil } }) else { return }
        for index in indices where running[index] != nil {
            if !killed.contains(index) {
                crashes.append("consumer \(slots[index].name) did not stop within 30 s of SIGTERM"
                               + " (\(Self.processState(running[index]?.processIdentifier)))")
            }
            signalConsumer(index, SIGKILL)
        }
        _ = await exitedWithin(.seconds(10), { stack in indices.allSatisfy { stack.running[$0] == nil } })
    }

    /// Restarts the slot's consumer (SIGTERM, then a new process under the same instance id)
    /// with its wall clock off by `milliseconds`, or back on the real time for nil. Its later
    /// restarts (a crash, another fault) keep the skew until it is taken away.
    /// A no-op when the slot already runs with that offset (healing is idempotent).
    func restartConsumer(_ index: Int, clockOffsetMilliseconds milliseconds: Int64?) async throws {
        guard clockOffsets[index] != milliseconds else { return }
        clockOffsets[index] = milliseconds
        signalConsumer(index, SIGCONT)
        signalConsumer(index, SIGTERM)
        try await restartConsumer(index)
    }

    /// Marks the slots' next exits as expected (a lane that halts by design): they are neither
    /// counted as crashes nor restarted, until ``restartConsumer(_:)``.
    func expectExits(_ indices: [Int]) {
        for index in indices {
            stopping.insert(index)
            lastExits[index] = nil
        }
    }

    /// Waits until one of `indices` has exited (true) or `limit` passed (false).
    func awaitAnyExit(_ indices: [Int], within limit: Duration) async -> Bool {
        await exitedWithin(limit) { stack in indices.contains { stack.running[$0] == nil } }
    }

    /// Stops the slots with SIGTERM and waits for them (SIGKILL past 30 s), leaving them stopped.
    func stopConsumers(_ indices: [Int]) async {
        for index in indices {
            signalConsumer(index, SIGCONT)
            signalConsumer(index, SIGTERM)
        }
        await awaitStopped(indices)
    }

    /// Runs `reward-admin` with the children's settings, as an operator on this stack would.
    nonisolated func admin(_ arguments: [String]) async throws -> (status: Int32, output: String, errorOutput: String) {
        var environment = self.environment
        environment["REWARD_OPERATOR"] = "chaos-harness"
        let result = try await runExecutable("\(paths.bin)/reward-admin", arguments, environment: environment, directory: paths.root)
        return (result.status, result.output, result.errorOutput)
    }

    /// What the kernel says of a process (`/proc/<pid>/status`): running, sleeping, a zombie not
    /// reaped, or gone (then our monitor missed its exit, not the process its signal).
    static func processState(_ pid: Int32?) -> String {
        guard let pid, let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else {
            return "pid \(pid.map(String.init) ?? "-"): no such process"
        }
        let state = status.split(separator: "\n").first { $0.hasPrefix("State:") }.map { String($0.dropFirst(6)).trimmingCharacters(in: .whitespaces) }
        return "pid \(pid): \(state ?? "state unknown")"
    }

    /// The last three lines a child wrote to standard error, on one line, for a crash report.
    static func lastLines(_ errorOutput: String) -> String {
        errorOutput.split(separator: "\n").suffix(3).joined(separator: " | ")
    }

    /// What a child wrote to standard error, kept in the run's folder (`logs/`) for a failed run.
    nonisolated func keepLog(_ name: String, _ exit: (status: Int32, errorOutput: String)) {
        let folder = "\(paths.work)/logs"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try? (exit.errorOutput + "\n(exit status \(exit.status))\n").write(toFile: "\(folder)/\(name).log", atomically: false, encoding: .utf8)
    }

    /// Each running consumer's `/metrics`, kept in `logs/` when a run is not drained: what each
    /// lane holds in flight, paused and parked tells where it stuck.
    func keepMetrics() async {
        try? FileManager.default.createDirectory(atPath: "\(paths.work)/logs", withIntermediateDirectories: true)
        for (index, port) in metricsPorts {
            guard let url = URL(string: "http://127.0.0.1:\(port)/metrics"), let (data, _) = try? await URLSession.shared.data(from: url)
            else { continue }
            let text = String(decoding: data, as: UTF8.self).split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: "\n")
            try? text.write(toFile: "\(paths.work)/logs/consumer-\(slots[index].name).metrics", atomically: false, encoding: .utf8)
        }
    }

    /// Polls `condition` (which the monitors make true) until `limit`.
    private func exitedWithin(_ limit: Duration, _ condition: (isolated ChaosStack) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while !condition(self) {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return true
    }

    /// One more instance of a lane joins its group (it leaves with ``leaveExtras()``).
    func joinExtra(_ slot: Slot) throws {
        let child = try ChildProcess("\(paths.bin)/reward-consumer", [
            "--cluster", slot.cluster.rawValue, "--topic", slot.topic, "--topics-directory", "\(paths.root)/topics",
            "--metrics-port", "0", "--instance-id", "chaos-extra-\(slot.name)",
        ], environment: environment)
        Task { for await _ in child.lines {} }
        extras.append(child)
    }

    func leaveExtras() async {
        let leaving = extras
        extras = []
        for child in leaving { child.send(signal: SIGTERM) }
        for child in leaving {
            let exit = await child.waitForExit(limit: .seconds(30))
            if exit.status != 0 { crashes.append("a joining consumer left with status \(exit.status) on SIGTERM") }
        }
    }

    /// Every slot that is not running is started, and a stopped one continued.
    func healConsumers() async throws {
        for index in slots.indices {
            running[index]?.send(signal: SIGCONT)
            if running[index] == nil { try startConsumer(index) }
        }
        await leaveExtras()
    }

    // MARK: Database locks

    private var locking: Task<Void, Never>?

    /// Locks every wallet account and claim row in one open transaction: credits and withdrawals
    /// wait on the locks (and time out) until ``releaseLocks()`` or `length` has passed. The
    /// connection lives inside one task from connect to rollback.
    func holdLocks(for length: Duration) async throws {
        await releaseLocks()
        var configuration = database.configuration
        configuration.database = Self.databaseName
        configuration.readTimeout = length + .seconds(30)
        let (logger, locked) = (self.logger, TestBox<Result<Void, ChaosError>?>(nil))
        locking = Task {
            do {
                let connection = try await MariaDBConnection.connect(configuration: configuration, logger: logger)
                try await connection.executeScript("SET SESSION innodb_lock_wait_timeout = 5; START TRANSACTION")
                _ = try await connection.query("SELECT COUNT(*) AS n FROM wallet_accounts FOR UPDATE")
                _ = try await connection.query("SELECT COUNT(*) AS n FROM order_claims FOR UPDATE")
                locked.withLock { $0 = .success(()) }
                try? await Task.sleep(for: length)
                try? await connection.executeScript("ROLLBACK")
                await connection.close()
            } catch {
                locked.withLock { $0 = .failure(ChaosError("could not take the locks: \(error)")) }
            }
        }
        while locked.value == nil { try await Task.sleep(for: .milliseconds(20)) }
        try locked.value?.get()
    }

    func releaseLocks() async {
        guard let locking else { return }
        self.locking = nil
        locking.cancel()
        await locking.value
    }

    // MARK: reward-api

    private func startAPI() async throws {
        let port = try freeLoopbackPort()
        try #"{"services": {"chaos": {"activities": ["chaos*"], "rewardTypes": {"cash_red_envelope": 88800}}}}"#
            .write(toFile: "\(paths.work)/scopes.json", atomically: true, encoding: .utf8)
        let child = try ChildProcess("\(paths.bin)/reward-api", ["--port", String(port)], environment: environment.merging([
            "REWARD_API_GATEWAY_KEY": ChaosTraffic.gatewayKey,
            "REWARD_API_SERVICES": "chaos:" + Data(ChaosTraffic.serviceSecret).base64EncodedString(),
            "REWARD_API_SCOPES_FILE": "\(paths.work)/scopes.json",
            "REWARD_SDK_SPOOL_DIRECTORY": "\(paths.work)/api-spool",
        ]) { _, new in new })
        Task { for await _ in child.lines {} }
        let process = child
        Task {
            let exit = await process.waitForExit(limit: .seconds(365 * 86_400))
            self.apiExited(process, exit)
        }
        api = (child, port)
        apiAlive = true
    }

    private func apiExited(_ child: ChildProcess, _ exit: (status: Int32, errorOutput: String)) {
        keepLog("reward-api-\(child.processIdentifier)", exit)
        apiAlive = false
        guard api?.process === child else { return }
        crashes.append("reward-api exited with status \(exit.status): \(Self.lastLines(exit.errorOutput))")
        say("  ! \(crashes.last ?? "")")
    }

    // MARK: Stop

    /// Stops every child, the simulator and the database, and deletes the database's folder.
    func shutdown() async {
        for index in slots.indices { signalConsumer(index, SIGCONT) }
        for index in slots.indices { signalConsumer(index, SIGTERM) }
        await leaveExtras()
        let api = self.api
        self.api = nil
        api?.process.send(signal: SIGTERM)
        if !(await exitedWithin(.seconds(30), { $0.running.isEmpty && !$0.apiAlive })) {
            for child in running.values { child.send(signal: SIGKILL) }
            api?.process.send(signal: SIGKILL)
        }
        await simulatorGroup.triggerGracefulShutdown()
        _ = await simulatorTask.result
        await pool.shutdown()
        await database.destroy()
        stoppingKafka = true
        kafkaHost.send(signal: SIGTERM)
        if !(await exitedWithin(.seconds(15), { $0.kafkaStopped })) { kafkaHost.send(signal: SIGKILL) }
    }
}
