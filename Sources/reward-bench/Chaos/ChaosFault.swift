import RewardCore

/// One kind of fault of the festival-night matrix (`RELIABILITY.md`), as `--faults` names it.
enum ChaosFaultKind: String, CaseIterable, Sendable {
    case produceErrors = "produce-errors"
    case fetchErrors = "fetch-errors"
    case commitErrors = "commit-errors"
    case roundTrip = "rtt"
    case brokerDown = "broker-down"
    case clusterDown = "cluster-down"
    case clusterFlap = "cluster-flap"
    case leaderless
    case permanentProduceError = "permanent-produce-error"
    case fatalIdempotence = "fatal-idempotence"
    case sdkKill = "sdk-kill"
    case consumerKill = "consumer-kill"
    case consumerTerm = "consumer-term"
    case consumerStop = "consumer-stop"
    case consumerJoin = "consumer-join"
    case retentionOverrun = "retention-overrun"
    case databaseKill = "db-kill"
    case databaseStop = "db-stop"
    case databaseReadOnly = "db-read-only"
    case databaseLocks = "db-locks"
    case partnerErrors = "partner-5xx"
    case partnerOverload = "partner-429"
    case partnerSlow = "partner-slow"
    case partnerLate = "partner-late"
    case clockSkew = "clock-skew"
    case poison
    case orderStorm = "order-storm"

    /// The matrix row it stands for.
    var row: Int {
        switch self {
        case .produceErrors: 2
        case .fetchErrors, .commitErrors, .roundTrip: 3
        case .brokerDown, .clusterDown, .clusterFlap: 4
        case .leaderless: 5
        case .permanentProduceError: 6
        case .fatalIdempotence: 7
        case .sdkKill: 8
        case .consumerKill, .consumerTerm: 9
        case .consumerStop, .consumerJoin: 10
        case .retentionOverrun: 11
        case .databaseKill, .databaseStop: 12
        case .databaseReadOnly, .databaseLocks: 13
        case .partnerErrors, .partnerOverload, .partnerSlow, .partnerLate: 14
        case .clockSkew: 18
        case .poison: 19
        case .orderStorm: 21
        }
    }

    /// What the fault holds while it lasts; two faults on one resource never overlap.
    enum Resource: Hashable {
        case cluster(ClusterName), consumer(Int), database, partner, sdk
    }

    /// How long it lasts, in milliseconds: a mariadbd stopped longer than the read timeout, a
    /// cluster down long enough for the SDK to fail over, short bursts for request errors.
    var lengths: ClosedRange<Int> {
        switch self {
        case .databaseStop: 7_000...9_000
        case .retentionOverrun: 4_000...7_000
        case .databaseKill, .clusterDown, .clusterFlap, .consumerStop: 3_000...8_000
        case .poison, .orderStorm, .sdkKill, .permanentProduceError, .fatalIdempotence: 500...1_500
        default: 2_000...6_000
        }
    }
}

/// One drawn fault: what, where and when (milliseconds from the start of the chaos phase).
struct ChaosFault: Sendable {
    var kind: ChaosFaultKind
    var cluster: ClusterName
    /// A consumer slot, broker or partition, depending on the kind.
    var target: Int
    var startMilliseconds: Int
    var lengthMilliseconds: Int

    var endMilliseconds: Int { startMilliseconds + lengthMilliseconds }

    /// `clock-skew`'s offset: an hour and 50 ms either way. The hour tests every comparison of
    /// times across processes (retry due times, recorded claim times); the 50 ms, half a rate
    /// slice, sets the consumer's slices across everyone else's.
    var clockOffsetMilliseconds: Int64 {
        (startMilliseconds % 2 == 0 ? 1 : -1) * (3_600_000 + 50)
    }

    /// What the fault holds while it lasts; `consumerSlots` is the stack's slot count.
    func resources(consumerSlots: Int) -> [ChaosFaultKind.Resource] {
        let slots = max(1, consumerSlots)
        switch kind {
        case .produceErrors, .fetchErrors, .commitErrors, .roundTrip, .brokerDown, .clusterDown, .clusterFlap, .leaderless,
             .permanentProduceError, .fatalIdempotence:
            return [.cluster(cluster)]
        case .consumerKill, .consumerTerm, .consumerStop, .clockSkew: return [.consumer(target % slots)]
        case .retentionOverrun:
            // Every consumer of the lane on the cluster (all stopped), and the cluster (its
            // offsets are read throughout).
            return [.cluster(cluster)] + laneSlots(consumerSlots: slots).map { .consumer($0) }
        case .consumerJoin: return []
        case .databaseKill, .databaseStop, .databaseReadOnly, .databaseLocks: return [.database]
        case .partnerErrors, .partnerOverload, .partnerSlow, .partnerLate: return [.partner]
        case .sdkKill: return [.sdk]
        case .poison, .orderStorm: return []
        }
    }

    /// `retention-overrun`'s lane: the cash lane for an even target, goods for an odd one.
    var laneIndex: Int { target % 2 }

    /// The slots of the lane's consumers on the fault's cluster, as ``ChaosStack`` lays them out
    /// (cluster A's then B's; within a cluster, each lane's instances in turn).
    func laneSlots(consumerSlots: Int) -> [Int] {
        let perCluster = consumerSlots / 2
        let instances = max(1, perCluster / 2)
        let first = (cluster == .a ? 0 : perCluster) + laneIndex * instances
        return Array(first..<min(consumerSlots, first + instances))
    }

    /// Whether the final heal runs this fault's heal again. Not for the consumer faults (the
    /// stack restarts every stopped slot itself) nor for an overrun, whose heal is the runbook.
    var healsAgainAtEnd: Bool {
        switch kind {
        case .consumerKill, .consumerTerm, .consumerStop, .retentionOverrun: false
        default: true
        }
    }
}

/// The faults of one run, drawn from the seed alone: the same seed, duration, kinds and fleet
/// size give the same schedule.
struct ChaosSchedule: Sendable {
    var seed: UInt64
    var faults: [ChaosFault]

    /// About one fault every `spacing` ms; faults on the same resource never overlap (with a
    /// second between them), and every fault ends before the run's last three seconds.
    static func draw(seed: UInt64, durationMilliseconds: Int, kinds: [ChaosFaultKind], consumerSlots: Int,
                     spacingMilliseconds: Int = 4_000) -> ChaosSchedule {
        var random = ChaosRandom(seed: seed)
        var faults: [ChaosFault] = []
        let wanted = max(1, durationMilliseconds / spacingMilliseconds)
        var tries = 0
        while faults.count < wanted, tries < wanted * 50, !kinds.isEmpty {
            tries += 1
            let kind = random.pick(kinds)
            let length = random.int(kind.lengths)
            let latestStart = durationMilliseconds - 3_000 - length
            guard latestStart > 1_000 else { continue }
            let fault = ChaosFault(kind: kind, cluster: random.int(0...1) == 0 ? .a : .b, target: random.int(0...max(0, consumerSlots - 1)),
                                   startMilliseconds: random.int(1_000...latestStart), lengthMilliseconds: length)
            let held = Set(fault.resources(consumerSlots: consumerSlots))
            let clashes = faults.contains {
                !held.isDisjoint(with: $0.resources(consumerSlots: consumerSlots))
                    && $0.startMilliseconds < fault.endMilliseconds + 1_000 && fault.startMilliseconds < $0.endMilliseconds + 1_000
            }
            if !clashes { faults.append(fault) }
        }
        return ChaosSchedule(seed: seed, faults: faults.sorted { $0.startMilliseconds < $1.startMilliseconds })
    }
}
