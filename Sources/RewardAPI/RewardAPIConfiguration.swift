/// How `reward-api` listens and whom it trusts.
public struct RewardAPIConfiguration: Sendable {
    /// Address to bind; keep it on the internal network behind the gateway. Default 127.0.0.1.
    public var host = "127.0.0.1"
    /// 0 picks a free port. Default 8080.
    public var port = 8080
    /// Request bodies larger than this are refused with 413 `payload_too_large`. Default 64 KiB.
    public var maximumBodyBytes = 64 * 1024
    /// Activity services by id: their HMAC-SHA256 secrets (at least 32 bytes) and scopes.
    public var services: [String: CallingService] = [:]
    /// How far a signed request's timestamp may be from the server's clock. Default 5 minutes.
    public var signatureWindow: Duration = .seconds(300)
    /// Requests per caller (service id, or asserted user id) in a burst. Default 200.
    public var callerBurst = 200
    /// The time in which a caller regains its whole burst. Default 1 second.
    public var callerPeriod: Duration = .seconds(1)
    /// Callers the rate limiter tracks at once; past it, new callers are refused until old
    /// entries refill (memory stays bounded whatever ids arrive). Default 100,000.
    public var maximumTrackedCallers = 100_000
    /// The header in which the gateway asserts the authenticated end user. Default `X-Reward-User`.
    public var userHeader = "X-Reward-User"
    /// Wallet requests must carry this value in `X-Reward-Gateway-Key`: proof that the gateway
    /// (which strips both headers from client traffic) sent them. `nil` is allowed only in
    /// development mode (``RewardAPIConfiguration/init(config:)`` refuses it otherwise).
    public var gatewayKey: String?

    public init() {}
}
