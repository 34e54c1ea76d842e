import RewardCore
import AsyncHTTPClient
import Foundation
public import Logging
public import Metrics
import NIOCore

/// A ledger owned by another team, reached over HTTP: `POST <base>/credits` with
/// `Idempotency-Key: <order id>` and `{orderId, userId, rewardType, amount, unit}`.
///
/// Answers are classified per credit: 2xx → credited; 409 (the key was used before) → already
/// credited; 429, 5xx, timeouts and connection errors → retriable; other 4xx → permanent.
/// Requests in flight are bounded, each has a timeout, and a circuit breaker stops calling a
/// downstream that keeps failing (open → immediate "circuit open" without a call; one probe after
/// the cool-down). 429s and the overload header are published on ``overloadSignals`` (and slow
/// the configured rate limiter) so the caller can slow down.
///
/// Call ``shutdown()`` before releasing it: it owns an HTTP client.
public final class HTTPLedger: Ledger {
    public let id: String
    /// One element per overload answer (429 or the overload header). Buffers the newest 256.
    public let overloadSignals: AsyncStream<OverloadSignal>

    private let configuration: Configuration
    private let client: HTTPClient
    private let breaker: CircuitBreaker
    private let inFlight: AsyncLimiter
    private let overloadContinuation: AsyncStream<OverloadSignal>.Continuation
    private let logger: Logger
    private let breakerGauge: Gauge
    private let encoder = JSONEncoder()

    /// Creates the ledger; nothing is sent until ``credit(_:)``.
    /// - Parameters:
    ///   - name: The downstream's name; the ledger id is `http:<name>`.
    ///   - configuration: URL, concurrency, timeouts, breaker.
    ///   - logger: Breaker changes at warning level.
    ///   - metrics: `reward_ledger_breaker_state{ledger}` (0 closed, 1 half-open, 2 open).
    public init(name: String, configuration: Configuration, logger: Logger, metrics: any MetricsFactory) {
        self.id = "http:\(name)"
        self.configuration = configuration
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.timeout = .init(connect: .nanoseconds(configuration.connectTimeout.nanoseconds))
        clientConfiguration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, configuration.maxConcurrentRequests))
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        self.breaker = CircuitBreaker(failureThreshold: configuration.breakerFailureThreshold, coolDown: configuration.breakerCoolDown)
        self.inFlight = AsyncLimiter(limit: configuration.maxConcurrentRequests)
        (overloadSignals, overloadContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(256))
        self.logger = logger
        self.breakerGauge = Gauge(label: "reward_ledger_breaker_state", dimensions: [("ledger", "http:\(name)")], factory: metrics)
        breakerGauge.record(0)
    }

    /// The circuit breaker's state now.
    public var breakerState: CircuitBreakerState { breaker.current }

    /// Stops the HTTP client and finishes ``overloadSignals``.
    public func shutdown() async throws {
        overloadContinuation.finish()
        try await client.shutdown()
    }

    public func credit(_ credits: [LedgerCredit]) async -> [LedgerResult] {
        await withTaskGroup(of: (Int, LedgerResult).self) { group in
            for (index, credit) in credits.enumerated() {
                group.addTask { [self] in (index, await self.creditOne(credit)) }
            }
            var results = [LedgerResult](repeating: .retriable("http: no result"), count: credits.count)
            for await (index, result) in group { results[index] = result }
            return results
        }
    }

    private func creditOne(_ credit: LedgerCredit) async -> LedgerResult {
        await inFlight.withSlot {
            // The permit is taken inside the slot, right before sending: a permit taken while
            // waiting for a slot would be spent a slice or more later, and requests of two slices
            // would reach the downstream in one (seen as 429s with two consumer processes).
            var pacedAt = WallClock.now()
            if let limiter = configuration.rateLimiter {
                guard let slot = await Self.freshSlot(limiter, rewardType: credit.rewardType) else {
                    return .retriable("no rate permit in time (cancelled, or this process kept being held up)")
                }
                pacedAt = slot
            }
            // Asked inside the slot, so calls queued behind a failing one see the circuit open.
            guard breaker.admit() else { return .retriable("circuit open") }
            if breaker.current == .halfOpen { breakerGauge.record(1) }
            return await send(credit, pacedAt: pacedAt)
        }
    }

    /// A permit at most one slice (100 ms) old. A process held up between the permit and the send
    /// (stopped, paused) would otherwise send it in a later slice, on top of that slice's own
    /// permits: such a permit is let go and another taken (a few tries, then retry later). Less
    /// than a slice late is ordinary scheduling on a busy machine, and the request still carries
    /// its slot as X-Reward-Paced-At.
    private static func freshSlot(_ limiter: RewardRateLimiter, rewardType: String) async -> Int64? {
        for _ in 0..<3 {
            guard let slot = await limiter.acquireSlot(rewardType: rewardType) else { return nil }
            if WallClock.now() - slot <= WallClock.sliceNanoseconds { return slot }
        }
        return nil
    }

    private struct Body: Encodable {
        var orderId: String
        var userId: String
        var rewardType: String
        var amount: Int64
        var unit: String
    }

    private struct Answer: Decodable {
        var reference: String?
    }

    private func send(_ credit: LedgerCredit, pacedAt: Int64) async -> LedgerResult {
        let orderID = credit.orderID.rawValue
        var request = HTTPClientRequest(url: configuration.baseURL + "/credits")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Idempotency-Key", value: orderID)
        do {
            let body = try encoder.encode(Body(
                orderId: orderID, userId: credit.userID, rewardType: credit.rewardType, amount: credit.amount, unit: credit.unit))
            request.body = .bytes(ByteBuffer(bytes: body))
        } catch {
            breaker.release()
            return .permanent(code: "unencodable", message: "credit could not be encoded: \(error)")
        }
        let fallbackReference = "\(id):\(orderID)"
        // The slot our rate limiter gave this request (epoch ms): a downstream (and our simulator)
        // can tell our pacing from the network's and the schedulers' jitter.
        request.headers.add(name: "X-Reward-Paced-At", value: String(pacedAt / 1_000_000))
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(configuration.requestTimeout.nanoseconds))
            let bytes = try await response.body.collect(upTo: 64 * 1024)
            let status = Int(response.status.code)
            let reference = (try? JSONDecoder().decode(Answer.self, from: Data(bytes.readableBytesView)))?.reference ?? fallbackReference
            let overloaded = response.headers.first(name: configuration.overloadHeader).map { $0 != "0" } ?? false
            if status == 429 || overloaded {
                signalOverload(credit, status: status, retryAfter: response.headers.first(name: "Retry-After"))
            }
            switch status {
            case 200..<300:
                recordBreaker(success: true)
                return .credited(reference: reference)
            case 409:
                recordBreaker(success: true)
                return .alreadyCredited(reference: reference)
            case 429:
                // Alive but overloaded: the rate limiter's business, not the breaker's.
                breaker.release()
                return .retriable("429 too many requests")
            case 500...:
                recordBreaker(success: false)
                return .retriable("HTTP \(status)")
            default:
                recordBreaker(success: true)
                return .permanent(code: "http_\(status)", message: "the downstream refused the credit (HTTP \(status))")
            }
        } catch is CancellationError {
            breaker.release()
            return .retriable("cancelled")
        } catch {
            recordBreaker(success: false)
            return .retriable("\(error)")
        }
    }

    private func signalOverload(_ credit: LedgerCredit, status: Int, retryAfter: String?) {
        let signal = OverloadSignal(
            ledgerID: id, rewardType: credit.rewardType, status: status,
            retryAfter: retryAfter.flatMap { Int($0) }.map { .seconds($0) })
        overloadContinuation.yield(signal)
        configuration.rateLimiter?.signalOverload(rewardType: credit.rewardType)
    }

    private func recordBreaker(success: Bool) {
        guard let changed = breaker.record(success: success) else { return }
        breakerGauge.record(changed == .closed ? 0 : changed == .halfOpen ? 1 : 2)
        if changed == .open {
            logger.warning("circuit opened: the downstream keeps failing", metadata: ["ledger": "\(id)"])
        } else {
            logger.info("circuit \(changed.rawValue)", metadata: ["ledger": "\(id)"])
        }
    }
}
