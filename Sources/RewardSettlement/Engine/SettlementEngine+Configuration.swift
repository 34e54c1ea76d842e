extension SettlementEngine {
    /// How the engine batches and retries.
    public struct Configuration: Sendable {
        /// Order ids per claims transaction (and per ledger batch). Default 500.
        public var maxBatchSize: Int = 500
        /// Batches of one ``SettlementEngine/settle(_:)`` call in flight at once. Default 4.
        public var maxConcurrentBatches: Int = 4
        /// Attempts per transaction on deadlocks, lock waits and races before the requests it
        /// touched answer ``SettlementOutcome/retriable(_:)``. Default 6.
        public var transactionAttempts: Int = 6
        /// The first retry's backoff; doubled per attempt, ±50% jitter. Default 5 ms.
        public var retryBackoff: Duration = .milliseconds(5)
        /// Hooks around every commit the engine makes (fault injection in tests).
        public var hooks = TransactionHooks()
        /// Stops a settlement after the given steps, as a crash there would (tests only).
        public var faults = FaultInjection()

        /// Stops the engine after chosen steps, leaving the stores as a crash at that point would.
        public struct FaultInjection: Sendable {
            /// After each of these steps the engine stops and answers
            /// ``SettlementOutcome/retriable(_:)`` for the requests still in flight.
            public var haltAfter: Set<SettlementStep> = []

            /// No faults.
            public init() {}
        }

        /// The defaults.
        public init() {}
    }
}
