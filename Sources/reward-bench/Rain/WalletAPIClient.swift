import AsyncHTTPClient
import Foundation
import NIOCore
import RewardWallet

/// The rain's users as the gateway forwards them to `reward-api` (openapi/reward-api.yaml): the
/// wallet page and withdrawals over HTTP, never through the library in-process, so the rain
/// measures and checks what real clients get.
struct WalletAPIClient: Sendable {
    /// The parts of a wallet page the rain checks.
    struct WalletPage: Decodable {
        struct Pending: Decodable { var orderID: String }
        struct Item: Decodable {
            var orderID: String?
            var status: String
        }

        var pending: [Pending]
        var history: [Item]

        /// The order id is shown as pending or credited (in the pending list or on this page).
        func shows(_ orderID: String) -> Bool {
            pending.contains { $0.orderID == orderID }
                || history.contains { $0.orderID == orderID && ($0.status == "pending" || $0.status == "credited") }
        }
    }

    /// A withdrawal's answer: the HTTP status, the error code (if any) and the receipt (if any).
    struct WithdrawalAnswer {
        var status: Int
        var code: String?
        var receipt: WithdrawalReceipt?
    }

    private struct ErrorBody: Decodable {
        var code: String
        var receipt: WithdrawalReceipt?
    }

    private struct WithdrawalBody: Encodable {
        var requestID: String
        var amount: Int64
        var currency: String
        var tokens: [PresentedToken]
    }

    let http: HTTPClient
    let baseURL: String
    /// `api.gatewayKey`, sent as the gateway would; nil when reward-api runs without one (development).
    let gatewayKey: String?

    /// - Parameter connections: Connections kept to reward-api (its callers wait for a free one).
    static func make(baseURL: String, gatewayKey: String?, connections: Int) -> WalletAPIClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(30))
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        return WalletAPIClient(http: HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration), baseURL: base,
                               gatewayKey: gatewayKey)
    }

    func shutdown() async {
        try? await http.shutdown()
    }

    /// GET /v1/users/{user}/wallet?limit=100 (the largest page: a rain user's grants fit on it).
    /// - Throws: when reward-api does not answer 200 with a wallet page.
    func wallet(user: String) async throws -> WalletPage {
        let (status, body) = try await exchange(request(user: user, path: "wallet?limit=100"))
        guard status == 200 else { throw WalletAPIError(message: "wallet of \(user): HTTP \(status) \(Self.code(body) ?? "")") }
        return try JSONDecoder().decode(WalletPage.self, from: Data(body.readableBytesView))
    }

    /// POST /v1/users/{user}/withdrawals; any status is an answer, only a transport failure throws.
    func withdraw(user: String, requestID: String, amount: Int64, currency: String, tokens: [PresentedToken]) async throws
        -> WithdrawalAnswer
    {
        var request = request(user: user, path: "withdrawals")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        let body = WithdrawalBody(requestID: requestID, amount: amount, currency: currency, tokens: tokens)
        request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        let (status, answer) = try await exchange(request)
        let data = Data(answer.readableBytesView)
        if status == 200 || status == 202 {
            return WithdrawalAnswer(status: status, code: nil, receipt: try? JSONDecoder().decode(WithdrawalReceipt.self, from: data))
        }
        let error = try? JSONDecoder().decode(ErrorBody.self, from: data)
        return WithdrawalAnswer(status: status, code: error?.code, receipt: error?.receipt)
    }

    private func request(user: String, path: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: "\(baseURL)/v1/users/\(user)/\(path)")
        request.headers.add(name: "X-Reward-User", value: user)
        if let gatewayKey { request.headers.add(name: "X-Reward-Gateway-Key", value: gatewayKey) }
        return request
    }

    private func exchange(_ request: HTTPClientRequest) async throws -> (Int, ByteBuffer) {
        let response = try await http.execute(request, timeout: .seconds(30))
        return (Int(response.status.code), try await response.body.collect(upTo: 4 << 20))
    }

    private static func code(_ body: ByteBuffer) -> String? {
        (try? JSONDecoder().decode(ErrorBody.self, from: Data(body.readableBytesView)))?.code
    }
}

struct WalletAPIError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
