import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import RewardCore
import RewardWallet

/// The endpoints' work, apart from routing: read and check the request, call the library, shape
/// the answer. Every failure is an ``APIError``.
struct APIHandlers: Sendable {
    let configuration: RewardAPIConfiguration
    let dependencies: RewardAPI.Dependencies
    let signatures: SignedRequestVerifier
    let replays: ReplayCache
    let limiter: KeyedRateLimiter
    let userHeader: HTTPField.Name
    static let gatewayKeyHeader = HTTPField.Name("X-Reward-Gateway-Key")

    // MARK: POST /v1/bonus

    func bonus(_ request: Request) async throws(APIError) -> Response {
        let body = try await readBody(request)
        let signed = try signatures.authenticate(
            method: request.method.rawValue, path: request.uri.string, service: header(request, RequestSignature.serviceHeader),
            timestamp: header(request, RequestSignature.timestampHeader), signature: header(request, RequestSignature.signatureHeader),
            body: body)
        // The limit before the replay cache: only authenticated callers within their rate fill it.
        try limit("service:\(signed.service)")
        switch replays.admit(signed.mac, timestamp: signed.timestamp) {
        case .fresh: break
        case .replayed: throw APIError(.unauthorized, "replayed_request", "this signed request was already received")
        case .full: throw APIError(.tooManyRequests, "rate_limited", "too many signed requests in this second; slow down")
        }
        let grant: BonusRequestBody = try decode(body, "bonus")
        let bonus = BonusContent(rewardType: grant.bonus.rewardType, amount: grant.bonus.amount.value,
                                 extensions: grant.bonus.extensions ?? [:])
        // The fields' own rules before the scope: a malformed id is `400 invalid_…`, not "out of scope".
        do {
            try GrantValidation.validate(activity: grant.activity, user: grant.user, bonus: bonus, orderID: OrderID(grant.orderID))
        } catch {
            throw APIError(error)
        }
        guard let scope = configuration.services[signed.service]?.scope else {
            throw APIError(.unauthorized, "invalid_signature", "the signature does not verify for this service and request")
        }
        if let refusal = scope.refusal(activityID: grant.activity.id, rewardType: bonus.rewardType, amount: bonus.amount) {
            throw APIError(.forbidden, "grant_out_of_scope", refusal)
        }
        do {
            let token = try await dependencies.granter.sendBonus(
                activity: grant.activity, user: grant.user, bonus: bonus, orderID: OrderID(grant.orderID), grantedBy: signed.service)
            return JSONResponse.make(.ok, BonusResponseBody(orderID: grant.orderID, token: token.encoded))
        } catch {
            throw APIError(error)
        }
    }

    // MARK: GET /v1/users/{id}/wallet

    func wallet(_ request: Request, user pathUser: String?) async throws(APIError) -> Response {
        let user = try assertedUser(request, pathUser)
        try limit("user:\(user)")
        let query = request.uri.queryParameters
        var limit: Int?
        if let text = query.get("limit") {
            guard let value = Int(text) else { throw APIError(.badRequest, "invalid_limit", "limit must be a whole number") }
            limit = value
        }
        do {
            let reduced = dependencies.controls.map { $0.current.isOn(.walletReduced) } ?? false
            let view = try await dependencies.wallet.view(user: user, cursor: query.get("cursor"), limit: limit, reduced: reduced)
            return JSONResponse.make(.ok, view)
        } catch {
            throw APIError(error)
        }
    }

    // MARK: POST /v1/users/{id}/withdrawals

    func withdraw(_ request: Request, user pathUser: String?) async throws(APIError) -> Response {
        let user = try assertedUser(request, pathUser)
        try limit("user:\(user)")
        let body: WithdrawalRequestBody = try decode(try await readBody(request), "withdrawal")
        if let controls = dependencies.controls, !controls.current.isOn(.withdrawals) {
            throw APIError(.serviceUnavailable, "withdrawals_paused",
                           "withdrawals are paused by the operators for now; nothing was debited, try again later")
        }
        let receipt: WithdrawalReceipt
        do {
            receipt = try await dependencies.withdrawals.withdraw(WithdrawalRequest(
                userID: user, amount: body.amount.value, currency: body.currency, requestID: body.requestID,
                presentedTokens: (body.tokens ?? []).map(\.presented)))
        } catch {
            throw APIError(error)
        }
        switch receipt.status {
        case .paidOut:
            return JSONResponse.make(.ok, receipt)
        case .payoutPending:
            return JSONResponse.make(.accepted, receipt)
        case .refused:
            var refused = APIError(.conflict, receipt.refusal?.code ?? "refused", receipt.refusal?.message ?? "nothing was debited")
            refused.receipt = receipt
            throw refused
        }
    }

    // MARK: Parts

    /// The user the gateway asserts, which must be a valid user id and the user in the path. Checked
    /// before the caller's rate limit, so the limiter only ever tracks well-formed ids.
    private func assertedUser(_ request: Request, _ pathUser: String?) throws(APIError) -> String {
        if let key = configuration.gatewayKey {
            guard let name = Self.gatewayKeyHeader, let given = request.headers[name], Self.constantTimeEqual(given, key) else {
                throw APIError(.unauthorized, "untrusted_gateway", "wallet requests are accepted from the gateway only")
            }
        }
        guard let user = request.headers[userHeader], !user.isEmpty else {
            throw APIError(.unauthorized, "missing_user", "the gateway did not assert a user (\(userHeader.rawName))")
        }
        guard GrantValidation.isIdentifier(user) else {
            throw APIError(.badRequest, "invalid_user_id",
                           "\(userHeader.rawName) must be 1-\(GrantValidation.maximumIDLength) letters, digits, '-', '_' or '.' (one value)")
        }
        guard user == pathUser else {
            throw APIError(.forbidden, "forbidden_user", "a user may only see and withdraw from their own wallet")
        }
        return user
    }

    private func limit(_ caller: String) throws(APIError) {
        guard limiter.tryAcquire(caller) else {
            throw APIError(.tooManyRequests, "rate_limited", "too many requests from this caller; slow down")
        }
    }

    private func readBody(_ request: Request) async throws(APIError) -> [UInt8] {
        // NIO's parser already refused a Content-Length that is not one decimal number.
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > configuration.maximumBodyBytes {
            throw APIError(.contentTooLarge, "payload_too_large", "the body exceeds \(configuration.maximumBodyBytes) bytes")
        }
        var request = request
        do {
            let buffer = try await request.collectBody(upTo: configuration.maximumBodyBytes)
            return Array(buffer.readableBytesView)
        } catch {
            throw APIError(unreadableBody: error, maximumBytes: configuration.maximumBodyBytes)
        }
    }

    private func decode<T: Decodable>(_ body: [UInt8], _ what: String) throws(APIError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch {
            throw APIError.badJSON(what, error)
        }
    }

    private func header(_ request: Request, _ name: String) -> String? {
        HTTPField.Name(name).flatMap { request.headers[$0] }
    }

    private static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
