import Foundation
import HTTPTypes
import Hummingbird
public import Logging
import NIOCore
public import ServiceLifecycle
import Synchronization

/// A small HTTP server standing for a slow third-party ledger, for tests and load runs.
///
/// - `POST /credits` with `Idempotency-Key` and `{orderId, userId, rewardType, amount, unit}`:
///   admitted up to ``SimulatorKnobs/capacityPerSlice`` per 100 ms wall-clock slice (429 beyond,
///   with `Retry-After: 1`); then 500 at the injected error rate (nothing credited); else credited
///   once per key: 200 `{reference}` the first time, 409 `{reference}` (same reference) for a
///   repeat with the same payload, 422 for the key with another payload.
/// - `POST /control` `{capacityPerSlice?, latencyMs?, errorRate?, senderClockOffsetsMs?}` changes the knobs live.
/// - `GET /stats` returns ``SimulatorStats`` as JSON.
public final class DownstreamSimulator: Service, Sendable {
    /// Where to listen and how to behave at first.
    public struct Configuration: Sendable {
        /// Default `127.0.0.1`.
        public var host = "127.0.0.1"
        /// 0 picks any free port (see ``waitUntilListening()``).
        public var port = 0
        public var knobs = SimulatorKnobs()
        /// How many recent slices `GET /stats` lists. Default 600 (one minute).
        public var historySlices = 600

        public init() {}
    }

    private let configuration: Configuration
    private let logger: Logger
    /// The books; tests may read ``stats`` directly.
    let ledger: SimulatorLedger
    private let listening = Mutex<ListeningState>(ListeningState())

    private struct ListeningState {
        var port: Int?
        var failure: String?
        var waiters: [CheckedContinuation<Int, any Error>] = []
    }

    /// Creates the simulator; it listens once ``run()`` runs.
    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.ledger = SimulatorLedger(knobs: configuration.knobs, historySlices: configuration.historySlices)
    }

    /// What the downstream saw so far.
    public var stats: SimulatorStats { ledger.stats() }

    /// The order ids credited so far that start with `prefix`, for books checked against the partner's own.
    public func creditedOrderIDs(orderPrefix prefix: String = "") -> Set<String> { ledger.creditedOrderIDs(orderPrefix: prefix) }

    /// Changes the knobs, as `POST /control` does.
    @discardableResult
    public func update(_ control: SimulatorControl) -> SimulatorKnobs { ledger.update(control) }

    /// The knobs now.
    public var knobs: SimulatorKnobs { ledger.knobs }

    /// The bound port, once the server listens.
    /// - Throws: ``SimulatorError`` when the server stopped or failed before listening.
    public func waitUntilListening() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let ready = listening.withLock { state -> Result<Int, SimulatorError>? in
                if let port = state.port { return .success(port) }
                if let failure = state.failure { return .failure(SimulatorError(message: failure)) }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }

    /// Serves until cancelled or a graceful shutdown.
    public func run() async throws {
        let router = Router()
        router.post("credits") { [ledger] request, _ in try await Self.credit(request, ledger: ledger) }
        router.post("control") { [ledger] request, _ in try await Self.control(request, ledger: ledger) }
        router.get("stats") { [ledger] _, _ in try Self.json(ledger.stats(), status: .ok) }
        router.get("credits/count") { [ledger] request, _ in
            let prefix = request.uri.queryParameters.get("orderPrefix") ?? ""
            return try Self.json(["count": ledger.creditedCount(orderPrefix: prefix)], status: .ok)
        }
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port)),
            onServerRunning: { [self] channel in self.listened(on: channel.localAddress?.port ?? 0) },
            logger: logger)
        do {
            try await app.run()
            finishListening("the simulator stopped")
        } catch {
            finishListening("the simulator failed: \(error)")
            throw error
        }
    }

    private func listened(on port: Int) {
        let waiters = listening.withLock { state in
            state.port = port
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: port) }
    }

    private func finishListening(_ reason: String) {
        let waiters = listening.withLock { state in
            state.failure = reason
            state.port = nil
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(throwing: SimulatorError(message: reason)) }
    }

    // MARK: Handlers

    private static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    private static let pacedAtHeader = HTTPField.Name("X-Reward-Paced-At")!

    private static func credit(_ request: Request, ledger: SimulatorLedger) async throws -> Response {
        let body = try await request.body.collect(upTo: 16 * 1024)
        guard let key = request.headers[idempotencyKey], !key.isEmpty,
              let credit = try? JSONDecoder().decode(CreditRequest.self, from: Data(body.readableBytesView)),
              credit.orderId == key
        else {
            ledger.recordInvalid()
            return try json(["error": "an Idempotency-Key equal to orderId and a JSON credit are required"], status: .badRequest)
        }
        let fingerprint = "\(credit.userId)|\(credit.rewardType)|\(credit.amount)|\(credit.unit)"
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        // Outside bytes: only a plain number within a minute of our clock (or of a sender's
        // declared skew) is taken.
        let knobs = ledger.knobs
        let sent = request.headers[Self.pacedAtHeader].flatMap { $0.utf8.count <= 15 ? Int64($0) : nil }
            .flatMap { knobs.pacedTime(stamp: $0, nowMilliseconds: now) }
        let decision = ledger.submit(orderID: key, fingerprint: fingerprint, nowMilliseconds: now, pacedMilliseconds: sent?.milliseconds,
                                     fromSkewedSender: (sent?.offset ?? 0) != 0)
        if decision != .tooManyRequests {
            let latency = ledger.knobs.latencyMilliseconds
            if latency > 0 { try await Task.sleep(for: .milliseconds(latency)) }
        }
        switch decision {
        case .accepted(let reference):
            return try json(["reference": reference], status: .ok)
        case .duplicate(let reference):
            return try json(["reference": reference, "error": "already credited"], status: .conflict)
        case .keyReused:
            return try json(["error": "the key was used for another credit"], status: .unprocessableContent)
        case .tooManyRequests:
            var response = try json(["error": "over capacity for this 100 ms slice"], status: .tooManyRequests)
            response.headers[.retryAfter] = "1"
            return response
        case .injectedError:
            return try json(["error": "injected failure"], status: .internalServerError)
        }
    }

    private static func control(_ request: Request, ledger: SimulatorLedger) async throws -> Response {
        let body = try await request.body.collect(upTo: 4 * 1024)
        guard let control = try? JSONDecoder().decode(SimulatorControl.self, from: Data(body.readableBytesView)) else {
            return try json(["error": "expected {capacityPerSlice?, latencyMs?, errorRate?, senderClockOffsetsMs?}"], status: .badRequest)
        }
        if let problem = control.problem { return try json(["error": problem], status: .badRequest) }
        return try json(ledger.update(control), status: .ok)
    }

    private static func json(_ value: some Encodable, status: HTTPResponse.Status) throws -> Response {
        let data = try JSONEncoder().encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// The simulator could not serve.
public struct SimulatorError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
