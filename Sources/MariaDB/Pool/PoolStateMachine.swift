/// The pool's bookkeeping as a value type: every transition returns what the pool must do
/// (resume a waiter, close a connection) once the lock is released.
///
/// A *slot* is permission to hold one connection. `checkedOut` counts slots outside the pool
/// (leased connections and connections being opened); `idle.count + checkedOut` never exceeds
/// `maxConnections`.
struct PoolStateMachine {
    typealias Waiter = CheckedContinuation<Lease, any Error>

    struct IdleConnection {
        let handle: ConnectionHandle
        let idleSince: ContinuousClock.Instant
        let generation: UInt64
    }

    /// What a caller gets for a slot.
    enum Lease: Sendable {
        /// An idle connection; ping it first when `validate` is set.
        case connection(ConnectionHandle, validate: Bool)
        /// Permission to open a new connection in this slot.
        case open
    }

    enum ReleaseAction {
        case pooled
        case handOver(ReturnAction)
        case close
    }

    enum AcquireAction {
        case lease(Lease)
        case wait
        case fail(MariaDBError)
        case cancelled
    }

    /// What to do after a connection or slot came back.
    struct ReturnAction {
        var resume: (Waiter, Lease)?
        var finishShutdown: [CheckedContinuation<Void, Never>] = []
    }

    let maxConnections: Int
    let validationInterval: Duration
    private(set) var idle: [IdleConnection] = []
    private(set) var checkedOut = 0
    private var waiters: [(id: UInt64, continuation: Waiter)] = []
    private var nextWaiterID: UInt64 = 0
    private(set) var isShutDown = false
    private var shutdownWaiters: [CheckedContinuation<Void, Never>] = []
    /// Bumped whenever a connection was lost: older idle connections are pinged before use.
    private var generation: UInt64 = 0

    init(maxConnections: Int, validationInterval: Duration) {
        self.maxConnections = max(1, maxConnections)
        self.validationInterval = validationInterval
    }

    var openConnections: Int { idle.count + checkedOut }

    mutating func makeWaiterID() -> UInt64 {
        nextWaiterID += 1
        return nextWaiterID
    }

    /// Takes a slot if one is free; otherwise queues `continuation` (when given) behind earlier waiters.
    mutating func acquire(now: ContinuousClock.Instant, waiter: (id: UInt64, continuation: Waiter)?) -> AcquireAction {
        if isShutDown { return .fail(MariaDBError(.poolShutdown, message: "the pool is shut down")) }
        if waiters.isEmpty, let lease = takeSlot(now: now) { return .lease(lease) }
        guard let waiter else { return .wait }
        waiters.append(waiter)
        return .wait
    }

    private mutating func takeSlot(now: ContinuousClock.Instant) -> Lease? {
        if let connection = idle.popLast() {
            checkedOut += 1
            let stale = now - connection.idleSince > validationInterval || connection.generation < generation
            return .connection(connection.handle, validate: stale)
        }
        if checkedOut < maxConnections {
            checkedOut += 1
            return .open
        }
        return nil
    }

    /// Removes a queued waiter (timeout or cancellation); `nil` if it was already served.
    mutating func removeWaiter(id: UInt64) -> Waiter? {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
        return waiters.remove(at: index).continuation
    }

    /// A leased connection comes back healthy. After shutdown the result says to close it and then
    /// call ``releaseEmpty(serverLost:)``, so the slot is counted until the socket is really closed.
    mutating func release(_ handle: ConnectionHandle, now: ContinuousClock.Instant) -> ReleaseAction {
        if isShutDown { return .close }
        if !waiters.isEmpty {
            let waiter = waiters.removeFirst()
            return .handOver(ReturnAction(resume: (waiter.continuation, .connection(handle, validate: false))))
        }
        checkedOut -= 1
        idle.append(IdleConnection(handle: handle, idleSince: now, generation: generation))
        return .pooled
    }

    /// A slot comes back without a connection: a failed open, or a discarded connection.
    /// - Parameter serverLost: the connection was lost, so the other idle ones are suspect too.
    mutating func releaseEmpty(serverLost: Bool) -> ReturnAction {
        if serverLost { generation += 1 }
        if !isShutDown, !waiters.isEmpty {
            let waiter = waiters.removeFirst()
            return ReturnAction(resume: (waiter.continuation, .open))
        }
        return slotFreed()
    }

    private mutating func slotFreed() -> ReturnAction {
        checkedOut -= 1
        var action = ReturnAction()
        if isShutDown, checkedOut == 0 {
            action.finishShutdown = shutdownWaiters
            shutdownWaiters = []
        }
        return action
    }

    /// Stops handing out connections; returns waiters to fail and idle connections to close.
    mutating func shutdown() -> (waiters: [Waiter], idle: [ConnectionHandle]) {
        isShutDown = true
        let failed = waiters.map(\.continuation)
        waiters = []
        let closing = idle.map(\.handle)
        idle = []
        return (failed, closing)
    }

    /// Registers a continuation resumed once every leased connection is back; `false` if none is out.
    mutating func awaitDrained(_ continuation: CheckedContinuation<Void, Never>) -> Bool {
        guard checkedOut > 0 else { return false }
        shutdownWaiters.append(continuation)
        return true
    }
}
