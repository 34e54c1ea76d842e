import AsyncHTTPClient
import Foundation
import NIOCore
import RewardAPI
import RewardWallet

/// What users and an activity service do over HTTP during the chaos: signed grants through
/// `reward-api`, wallet reads, and withdrawals that present the tokens those grants returned
/// (forcing their settlement while the consumers may be crediting the same orders).
actor ChaosTraffic {
    static let gatewayKey = "chaos-gateway-key-not-a-secret-0123456789"
    static let serviceSecret = [UInt8](repeating: 0x33, count: 32)

    struct Counts: Sendable {
        var grantsAnswered = 0
        var grantsRefused = 0
        var walletReads = 0
        var walletReadFailures = 0
    }

    private let baseURL: String
    private let grants: ChaosGrants
    private let run: String
    private let http = HTTPClient(eventLoopGroupProvider: .singleton)
    private let wallets: WalletAPIClient
    private var unspent: [String: [PresentedToken]] = [:]
    private var next = 0
    private(set) var counts = Counts()
    private(set) var withdrawals: [RainWithdrawal.Result] = []
    private var pending: [Task<RainWithdrawal.Result, Never>] = []
    private var requests: [String: RainWithdrawal] = [:]
    /// Withdrawals that present a token altered to a larger amount: none may be paid.
    private(set) var forged: Set<String> = []
    private var issued: [PresentedToken] = []

    init(apiPort: Int, grants: ChaosGrants, run: String) {
        baseURL = "http://127.0.0.1:\(apiPort)"
        self.grants = grants
        self.run = run
        wallets = WalletAPIClient.make(baseURL: baseURL, gatewayKey: Self.gatewayKey, connections: 8)
    }

    /// Ten times a second a grant; every fifth tick a wallet read; every thirtieth a withdrawal.
    func run(for duration: Duration) async {
        let end = ContinuousClock.now + duration
        var tick = 0
        while ContinuousClock.now < end {
            tick += 1
            await grant()
            if tick % 5 == 0 { await readWallet() }
            if tick % 30 == 0 { withdraw() }
            if tick % 45 == 0 { withdrawForged() }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    private func user(_ n: Int) -> String { "\(run)-h\(n % 40)" }

    private func grant() async {
        next += 1
        let (order, user, amount) = ("http:\(run):\(next)", user(next), Int64(1 + (next * 31) % 300))
        let variant = ChaosGrants.Variant(type: "cash_red_envelope", amount: amount, user: user)
        await grants.sent(order, variant)
        let body: [String: Any] = [
            "activity": ["id": "chaos", "sceneID": "rain"], "user": ["id": user, "deviceID": "d-\(user)", "appID": "chaos"],
            "bonus": ["rewardType": "cash_red_envelope", "amount": amount, "extensions": [String: String]()], "orderID": order,
        ]
        guard let bytes = try? [UInt8](JSONSerialization.data(withJSONObject: body)) else { return }
        var request = HTTPClientRequest(url: baseURL + "/v1/bonus")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        let time = Int64(Date().timeIntervalSince1970)
        request.headers.add(name: RequestSignature.serviceHeader, value: "chaos")
        request.headers.add(name: RequestSignature.timestampHeader, value: "\(time)")
        request.headers.add(name: RequestSignature.signatureHeader, value: RequestSignature.sign(
            method: "POST", path: "/v1/bonus", service: "chaos", timestamp: time, body: bytes, secret: Self.serviceSecret))
        request.body = .bytes(ByteBuffer(bytes: bytes))
        struct Answer: Decodable { var token: String }
        guard let response = try? await http.execute(request, timeout: .seconds(10)),
              let data = try? await response.body.collect(upTo: 1 << 20)
        else {
            counts.grantsRefused += 1
            return
        }
        guard response.status.code == 200, let answer = try? JSONDecoder().decode(Answer.self, from: Data(data.readableBytesView)) else {
            counts.grantsRefused += 1
            return
        }
        counts.grantsAnswered += 1
        await grants.answered(order, variant)
        let token = PresentedToken(token: answer.token, orderID: order, rewardType: "cash_red_envelope", amount: amount,
                                   activityID: "chaos", sceneID: "rain")
        unspent[user, default: []].append(token)
        issued.append(token)
    }

    private func readWallet() async {
        do {
            _ = try await wallets.wallet(user: user(next))
            counts.walletReads += 1
        } catch {
            counts.walletReadFailures += 1
        }
    }

    /// Withdraws everything one user's unspent tokens add up to, presenting them all.
    private func withdraw() {
        guard let user = unspent.keys.sorted().first(where: { !(unspent[$0] ?? []).isEmpty }), let tokens = unspent.removeValue(forKey: user)
        else { return }
        let withdrawal = RainWithdrawal(user: user, requestID: "w-\(run)-\(withdrawals.count + pending.count)", currency: "CNY",
                                        tokens: tokens, midRain: true)
        let wallets = self.wallets
        requests[withdrawal.requestID] = withdrawal
        pending.append(Task { await withdrawal.run(wallets) { _ in } })
    }

    /// A user presents a genuine token of theirs with its amount raised by 5,000: the signature
    /// binds the amount, so the withdrawal must be refused and nothing paid.
    private func withdrawForged() {
        guard var token = issued.last else { return }
        token.amount += 5_000
        let owner = self.user(Int(token.orderID.split(separator: ":").last ?? "") ?? 0)
        let withdrawal = RainWithdrawal(user: owner, requestID: "wf-\(run)-\(forged.count)", currency: "CNY", tokens: [token], midRain: true)
        forged.insert(withdrawal.requestID)
        requests[withdrawal.requestID] = withdrawal
        let wallets = self.wallets
        pending.append(Task { await withdrawal.run(wallets) { _ in } })
    }

    /// Waits for the withdrawals in flight; those that got no final answer during the faults are
    /// asked again with the same request id now that the stack is healed (a client retries).
    func finishWithdrawals() async {
        for task in pending { withdrawals.append(await task.value) }
        pending = []
        for (index, made) in withdrawals.enumerated() {
            guard case .failed = made.outcome, let request = requests[made.requestID] else { continue }
            withdrawals[index] = await request.run(wallets) { _ in }
        }
    }

    func shutdown() async {
        try? await http.shutdown()
        await wallets.shutdown()
    }
}
