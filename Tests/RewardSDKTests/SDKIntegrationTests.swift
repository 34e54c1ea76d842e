import Testing

/// The SDK's tests that run mock clusters, child processes or a database. They run one at a
/// time: each loads both cores, and the failover tests reason about deadlines.
@Suite("RewardSDK against mock clusters", .serialized)
struct SDKIntegrationTests {}
