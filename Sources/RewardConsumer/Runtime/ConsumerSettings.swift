/// How a lane consumer batches, retries and holds back. Defaults suit the local stack.
public struct ConsumerSettings: Sendable {
    /// Most records one settlement batch carries (one transaction per store shard).
    public var batchSize = 500
    /// Batches of one reward type settling at the same time.
    public var concurrentBatchesPerType = 4
    /// Records a reward type may hold in memory before it counts as saturated.
    public var queueCapacityPerType = 4_000
    /// Records in flight over the whole lane before its partitions are paused; resumed below half.
    public var maximumInFlight = 20_000
    /// Bytes (keys, values, headers) in flight over the whole lane before its partitions are
    /// paused; resumed below half. Whichever bound is reached first pauses.
    public var maximumInFlightBytes = 64 << 20
    /// How often the lane looks at its bounds even when no record arrives (paused partitions send none).
    public var backpressureInterval: Duration = .milliseconds(100)
    /// Records waiting for a parking worker before the lane stops taking new ones.
    public var parkingQueueCapacity = 256
    /// Tasks that park records (dead letters, spills) at once.
    public var parkingWorkers = 4
    /// Settlement attempts inside the process before a record goes to the retry topic.
    public var inProcessAttempts = 3
    /// First backoff between in-process attempts; doubles each time, with full jitter.
    public var retryBackoff: Duration = .milliseconds(200)
    /// How long a record waits on the retry topic before it is settled again.
    public var retryTopicDelay: Duration = .seconds(5)
    /// Trips through the retry topic before a record is dead-lettered as `retries_exhausted`.
    public var retryTopicPasses = 3
    /// How long a full type's queue may stay full before the type counts as saturated and its
    /// overflow is parked on the retry topic. Shorter waits are ordinary backpressure.
    public var saturationWait: Duration = .seconds(1)
    /// How long a saturated type's overflow waits on the retry topic (it keeps other types moving).
    public var spillDelay: Duration = .seconds(2)
    /// How often settled offsets are committed.
    public var commitInterval: Duration = .milliseconds(500)
    /// On SIGTERM, how long in-flight batches may take before the process commits and exits.
    public var shutdownGrace: Duration = .seconds(5)

    public init() {}
}
