package import Foundation
package import RewardCore

/// Fuzz target `signed-request`: `POST /v1/bonus` as an activity service's bytes reach it:
/// ``SignedRequestVerifier/authenticate(method:path:service:timestamp:signature:body:now:)``, the
/// ``ReplayCache``, the body's JSON, the service's scope and the grant's field rules, in the order
/// the handler runs them (the SDK call after them is not part of the target).
///
/// Input: five lines (method, path, `X-Reward-Service`, `X-Reward-Timestamp`, `X-Reward-Signature`)
/// and then the body. Missing lines are missing headers. A signature line `SIGN` is replaced by the
/// valid signature of the rest under the named service's secret, so the fuzzer also reaches what an
/// authenticated but hostile service can send.
///
/// Invariants: every refusal of the signature check is a 401; an authenticated request names a
/// known service, carries a timestamp within the window and the signature of exactly these bytes;
/// the replay cache admits a signature once, and fails closed when a second fills up.
package struct SignedRequestFuzzer: Fuzzer {
    let services: [String: CallingService]
    let verifier: SignedRequestVerifier
    let now: Date

    /// - Parameters:
    ///   - services: Service id → secret and scope.
    ///   - window: How far a timestamp may be from `now`.
    ///   - now: The fixed clock.
    package init(services: [String: CallingService], window: Duration, now: Date) {
        self.services = services
        self.verifier = SignedRequestVerifier(secrets: services.mapValues(\.secret), window: window)
        self.now = now
    }

    package func run(_ input: [UInt8]) throws(FuzzFailure) -> FuzzOutcome {
        let request = Self.split(input)
        var signature = request.signature
        if signature == "SIGN", let service = request.service {
            signature = RequestSignature.sign(method: request.method, path: request.path, service: service,
                                              timestamp: request.timestamp.flatMap { Int64($0) } ?? 0, body: request.body,
                                              secret: services[service]?.secret ?? Array(repeating: 0, count: 32))
        }
        let signed: SignedRequestVerifier.Authenticated
        do {
            signed = try verifier.authenticate(method: request.method, path: request.path, service: request.service,
                                               timestamp: request.timestamp, signature: signature, body: request.body, now: now)
        } catch {
            try fuzzExpect(error.status == .unauthorized, "the signature check answered \(error.status) \(error.code)")
            return .refused
        }
        guard let service = services[signed.service], signed.service == request.service, let signature else {
            throw FuzzFailure("authenticated an unknown or absent service: \(request.service ?? "nil")")
        }
        let nowSeconds = Int64(now.timeIntervalSince1970)
        try fuzzExpect(abs(signed.timestamp - nowSeconds) <= verifier.window, "authenticated timestamp \(signed.timestamp)")
        let expected = RequestSignature.sign(method: request.method, path: request.path, service: signed.service,
                                             timestamp: signed.timestamp, body: request.body, secret: service.secret)
        try fuzzExpect(expected == signature.lowercased(), "authenticated a signature that is not this request's")

        let replays = ReplayCache(windowSeconds: verifier.window, perSecondLimit: 2)
        try fuzzExpect(replays.admit(signed.mac, timestamp: signed.timestamp) == .fresh, "a first signature is not fresh")
        try fuzzExpect(replays.admit(signed.mac, timestamp: signed.timestamp) == .replayed, "a replay was admitted")
        var other = signed.mac
        other[0] ^= 0xFF
        try fuzzExpect(replays.admit(other, timestamp: signed.timestamp) == .fresh, "a second signature is not fresh")
        other[1] ^= 0xFF
        try fuzzExpect(replays.admit(other, timestamp: signed.timestamp) == .full, "a full second admitted a third signature")

        guard let grant = try? JSONDecoder().decode(BonusRequestBody.self, from: Data(request.body)) else { return .refused }
        if service.scope.refusal(activityID: grant.activity.id, rewardType: grant.bonus.rewardType, amount: grant.bonus.amount.value) != nil {
            return .refused
        }
        do {
            try GrantValidation.validate(activity: grant.activity, user: grant.user,
                                         bonus: BonusContent(rewardType: grant.bonus.rewardType, amount: grant.bonus.amount.value,
                                                             extensions: grant.bonus.extensions ?? [:]),
                                         orderID: OrderID(grant.orderID))
        } catch {
            return .refused
        }
        return .accepted
    }

    struct Request {
        var method = ""
        var path = ""
        var service: String?
        var timestamp: String?
        var signature: String?
        var body: [UInt8] = []
    }

    static func split(_ input: [UInt8]) -> Request {
        var lines: [String] = []
        var rest = input[...]
        while lines.count < 5, !rest.isEmpty {
            let end = rest.firstIndex(of: UInt8(ascii: "\n")) ?? rest.endIndex
            lines.append(String(decoding: rest[..<end], as: UTF8.self))
            rest = end < rest.endIndex ? rest[(end + 1)...] : rest[end...]
        }
        var request = Request()
        request.method = lines.count > 0 ? lines[0] : ""
        request.path = lines.count > 1 ? lines[1] : ""
        request.service = lines.count > 2 ? lines[2] : nil
        request.timestamp = lines.count > 3 ? lines[3] : nil
        request.signature = lines.count > 4 ? lines[4] : nil
        request.body = Array(rest)
        return request
    }

    // MARK: Seeds

    /// An input: the request's lines and body, signed with `secret` (`nil`: the signature line is `SIGN`).
    package static func input(method: String, path: String, service: String, timestamp: Int64, body: [UInt8],
                              secret: [UInt8]?) -> [UInt8] {
        let signature = secret.map {
            RequestSignature.sign(method: method, path: path, service: service, timestamp: timestamp, body: body, secret: $0)
        } ?? "SIGN"
        return Array("\(method)\n\(path)\n\(service)\n\(timestamp)\n\(signature)\n".utf8) + body
    }
}
