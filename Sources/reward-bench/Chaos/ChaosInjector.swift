import DownstreamSimulator
import Foundation
import Kafka
import Logging
import MariaDB
import RewardCore
import RewardOps
import RewardTestKit

/// Injects each drawn fault into the stack and heals it when its time is up. Every injection is a
/// real one: a broker of the mock cluster goes down, a process gets a signal, the partner answers
/// 5xx. A fault that cannot be injected is a failure of the run, never skipped.
struct ChaosInjector: Sendable {
    let stack: ChaosStack
    let probe: ChaosProbe
    let seed: UInt64
    let grants: ChaosGrants
    let logger: Logger

    /// The partner's normal capacity, restored after each partner fault.
    let partnerCapacity: Int

    /// Records written by the `poison` fault (each must end in a dead letter).
    let poisoned = TestBox(0)
    /// Overruns made and not yet recovered, by the fault's start.
    let overruns = TestBox<[Int: Overrun]>([:])

    private var mock: KafkaMockControlClient { stack.mock }

    /// The harness's own statement, tried for 10 s: after a `db-kill` its pooled connections are
    /// broken until the pool replaces them (a first try failed with "lost connection").
    private func retryingSQL(_ statement: SQLQuery) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            do {
                _ = try await stack.pool.execute(statement)
                return
            } catch {
                guard ContinuousClock.now < deadline else { throw error }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    private func name(_ fault: ChaosFault) -> String { fault.cluster.rawValue }

    private func push(_ fault: ChaosFault, _ api: KafkaAPI, _ errors: [KafkaError.Code]) async throws {
        try await mock.pushRequestErrors(cluster: name(fault), api: api, errors: errors)
    }

    /// Starts the fault; returns when it has been injected (a flapping cluster keeps flapping
    /// until ``heal(_:)``; a `poison` or `sdk-kill` is over once done).
    func inject(_ fault: ChaosFault) async throws {
        let slot = fault.target % stack.slots.count
        switch fault.kind {
        case .produceErrors:
            try await push(fault, .produce, Array(repeating: KafkaError.Code(rawValue: 6), count: 10)  // NOT_LEADER
                + Array(repeating: KafkaError.Code(rawValue: 7), count: 10))  // REQUEST_TIMED_OUT
        case .fetchErrors:
            try await push(fault, .fetch, Array(repeating: KafkaError.Code(rawValue: 6), count: 20))
        case .commitErrors:
            // COORDINATOR_NOT_AVAILABLE, then REQUEST_TIMED_OUT: offset commits fail and are retried.
            try await push(fault, .offsetCommit, Array(repeating: KafkaError.Code(rawValue: 15), count: 5)
                + Array(repeating: KafkaError.Code(rawValue: 7), count: 5))
        case .roundTrip:
            for broker in 1...ChaosStack.brokersPerCluster {
                try await mock.setRoundTripTime(cluster: name(fault), broker: broker, .milliseconds(30 + 40 * (fault.target % 5)))
            }
        case .brokerDown:
            try await mock.setBrokerDown(cluster: name(fault), broker: Int32(1 + fault.target % 3))
        case .clusterDown:
            try await mock.setClusterDown(cluster: name(fault))
        case .clusterFlap:
            let (mock, cluster) = (self.mock, name(fault))
            let flips = max(1, fault.lengthMilliseconds / 1_000)
            Task {
                for flip in 0..<flips {
                    try? await mock.setClusterDown(cluster: cluster, flip % 2 == 0)
                    try? await Task.sleep(for: .seconds(1))
                }
                try? await mock.setClusterDown(cluster: cluster, false)
            }
        case .leaderless:
            try await mock.setPartitionLeader(cluster: name(fault), topic: ChaosStack.lanes[fault.target % 2], partition: Int32(fault.target % 4),
                                              broker: -1)
        case .permanentProduceError:
            try await push(fault, .produce, [.topicAuthorizationFailed, .messageSizeTooLarge])
        case .fatalIdempotence:
            try await push(fault, .produce, [KafkaError.Code(rawValue: 45)])  // OUT_OF_ORDER_SEQUENCE_NUMBER
        case .sdkKill:
            try await probe.killAndRestart()
        case .consumerKill:
            await stack.signalConsumer(slot, SIGKILL)
        case .consumerTerm:
            await stack.signalConsumer(slot, SIGTERM)
        case .consumerStop:
            await stack.signalConsumer(slot, SIGSTOP)
        case .consumerJoin:
            try await stack.joinExtra(stack.slots[slot])
        case .databaseKill:
            try await stack.database.kill()
        case .databaseStop:
            await stack.database.signal(SIGSTOP)
        case .databaseReadOnly:
            // The children connect as a user without SUPER, whom read_only binds.
            try await retryingSQL("SET GLOBAL read_only = 1")
        case .databaseLocks:
            try await stack.holdLocks(for: .milliseconds(fault.lengthMilliseconds))
        case .partnerErrors:
            stack.simulator.update(SimulatorControl(errorRate: 0.5))
        case .partnerOverload:
            stack.simulator.update(SimulatorControl(capacityPerSlice: 5))
        case .partnerSlow:
            stack.simulator.update(SimulatorControl(latencyMs: 800))
        case .partnerLate:
            // Longer than the HTTP ledger's 2 s request timeout: credited after the consumer gave up.
            stack.simulator.update(SimulatorControl(latencyMs: 2_500))
        case .clockSkew:
            // The partner is told the offset, so that I5 counts the skewed consumer's requests at
            // the real time it paced them for (its stamps are an hour off).
            var offsets = stack.simulator.knobs.senderClockOffsetsMilliseconds
            if !offsets.contains(fault.clockOffsetMilliseconds) { offsets.append(fault.clockOffsetMilliseconds) }
            stack.simulator.update(SimulatorControl(senderClockOffsetsMs: offsets))
            try await stack.restartConsumer(slot, clockOffsetMilliseconds: fault.clockOffsetMilliseconds)
        case .retentionOverrun:
            try await overrun(fault)
        case .poison:
            try await poison(fault)
        case .orderStorm:
            try await storm(fault)
        }
    }

    /// Undoes the fault. Healing is idempotent: the final heal runs it for every kind again.
    func heal(_ fault: ChaosFault) async throws {
        let slot = fault.target % stack.slots.count
        switch fault.kind {
        case .produceErrors, .permanentProduceError, .fatalIdempotence:
            try await mock.clearRequestErrors(cluster: name(fault), api: .produce)
        case .fetchErrors:
            try await mock.clearRequestErrors(cluster: name(fault), api: .fetch)
        case .commitErrors:
            try await mock.clearRequestErrors(cluster: name(fault), api: .offsetCommit)
        case .roundTrip:
            for broker in 1...ChaosStack.brokersPerCluster { try await mock.setRoundTripTime(cluster: name(fault), broker: broker, .zero) }
        case .brokerDown, .clusterDown, .clusterFlap:
            try await mock.setClusterDown(cluster: name(fault), false)
        case .leaderless:
            try await mock.setPartitionLeader(cluster: name(fault), topic: ChaosStack.lanes[fault.target % 2], partition: Int32(fault.target % 4),
                                              broker: 1)
        case .consumerKill, .consumerTerm:
            try await stack.restartConsumer(slot)
        case .consumerStop:
            await stack.signalConsumer(slot, SIGCONT)
        case .consumerJoin:
            await stack.leaveExtras()
        case .databaseKill:
            try await stack.database.start()
        case .databaseStop:
            await stack.database.signal(SIGCONT)
        case .databaseReadOnly:
            try await retryingSQL("SET GLOBAL read_only = 0")
        case .databaseLocks:
            await stack.releaseLocks()
        case .partnerErrors, .partnerOverload, .partnerSlow, .partnerLate:
            stack.simulator.update(SimulatorControl(capacityPerSlice: partnerCapacity, latencyMs: 0, errorRate: 0))
        case .clockSkew:
            try await stack.restartConsumer(slot, clockOffsetMilliseconds: nil)
        case .retentionOverrun:
            try await recoverOverrun(fault)
        case .sdkKill, .poison, .orderStorm:
            break
        }
    }

    /// Hostile records on a lane: junk bytes, a truncated event, bad UTF-8, a 64 KiB key, a hostile
    /// header, and grants forged every way an attacker would (order ids `forged-<seed>-…`).
    private func poison(_ fault: ChaosFault) async throws {
        let topic = ChaosStack.lanes[0]
        let genuine = TestGrants.event(order: "forged-\(seed)-\(fault.startMilliseconds)-t", user: "attacker", amount: 500,
                                       activity: "chaos", lane: .cash, grantedAt: Date())
        let encoded = genuine.encoded()
        var messages: [KafkaProducerMessage] = [
            KafkaProducerMessage(topic: topic, key: Array("junk".utf8), value: (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37) }),
            KafkaProducerMessage(topic: topic, key: genuine.key, value: Array(encoded.prefix(encoded.count / 2))),
            KafkaProducerMessage(topic: topic, key: Array("utf8".utf8), value: [0xC3, 0x28, 0xFF, 0xFE, 0x7B]),
            KafkaProducerMessage(topic: topic, key: Array(repeating: 0x41, count: 64 << 10), value: encoded),
            KafkaProducerMessage(topic: topic, key: genuine.key, value: encoded,
                                 headers: [KafkaHeader(name: "reward-retry-delay-ms", value: Array("-9223372036854775808".utf8))]),
        ]
        for forgery in ForgedGrants.corpus(prefix: "forged-\(seed)-\(fault.startMilliseconds)", user: "attacker", activity: "chaos") {
            messages.append(KafkaProducerMessage(topic: topic, key: forgery.event.key, value: forgery.event.encoded()))
        }
        try await produceSurviving(messages, to: fault.cluster)
        poisoned.withLock { $0 += messages.count }
    }

    /// Produces every message to `cluster`, riding out the faults that hit it meanwhile (a fatal
    /// idempotence error, refusals): a failed send is retried on a fresh producer until it lands or
    /// 60 s pass. A retried record may land twice, which storms and poisons are made of anyway.
    /// (Seed 22 once failed on the harness's own producer, not on the stack.)
    func produceSurviving(_ messages: [KafkaProducerMessage], to cluster: ClusterName) async throws {
        let configuration = KafkaProducerConfiguration(bootstrapServers: stack.clusters[cluster] ?? [])
        let deadline = ContinuousClock.now + .seconds(60)
        var producer = try KafkaProducer(configuration: configuration, logger: logger)
        for message in messages {
            while true {
                do {
                    _ = try await producer.send(message)
                    break
                } catch {
                    await producer.shutdown(timeout: .zero)
                    guard ContinuousClock.now < deadline else { throw ChaosError("could not produce to \(cluster) in 60 s: \(error)") }
                    try await Task.sleep(for: .milliseconds(200))
                    producer = try KafkaProducer(configuration: configuration, logger: logger)
                }
            }
        }
        await producer.shutdown()
    }
}

extension ChaosInjector {
    /// One order id 1,000 times over both clusters and every partition of the cash lane, one in ten
    /// a conflicting variant (another amount, genuinely signed): exactly one of them may be credited.
    func storm(_ fault: ChaosFault) async throws {
        let order = "storm-\(seed)-\(fault.startMilliseconds)"
        let user = "c\(seed)-storm"
        let variants = [ChaosGrants.Variant(type: "cash_red_envelope", amount: 777, user: user),
                        ChaosGrants.Variant(type: "cash_red_envelope", amount: 778, user: user)]
        for variant in variants { await grants.answered(order, variant) }
        for name in [ClusterName.a, .b] {
            let partitions = try TopicDefinition.load(directory: "\(stack.paths.root)/topics", cluster: name)
                .first { $0.name == ChaosStack.lanes[0] }?.partitions ?? 1
            let copies = (0..<500).map { copy in
                let variant = variants[copy % 10 == 9 ? 1 : 0]
                let event = TestGrants.event(order: order, user: user, amount: variant.amount, activity: "chaos", lane: .cash,
                                             grantedAt: Date(), ring: ChaosStack.keyRing)
                return KafkaProducerMessage(topic: ChaosStack.lanes[0], partition: Int32(copy % partitions), key: event.key,
                                            value: event.encoded())
            }
            try await produceSurviving(copies, to: name)
        }
    }
}

struct ChaosError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
