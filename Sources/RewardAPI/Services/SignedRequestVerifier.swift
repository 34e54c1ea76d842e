import Crypto
import Foundation
import Synchronization

/// Checks an activity service's signed request: known service, timestamp within the window,
/// HMAC over method, path, timestamp and body hash, and a signature not seen before.
///
/// Seen signatures are kept until they leave the window (a replay after that fails the timestamp
/// check), so memory follows the signed requests of one window. Per process: behind a load
/// balancer, a replay sent to another instance within the window is caught only if the
/// instances share a cache — see docs/architecture.md.
final class SignedRequestVerifier: Sendable {
    private let secrets: [String: SymmetricKey]
    private let windowSeconds: Int64
    private let seen = Mutex<[String: Int64]>([:])

    init(secrets: [String: [UInt8]], window: Duration) {
        self.secrets = secrets.mapValues { SymmetricKey(data: $0) }
        self.windowSeconds = max(1, window.components.seconds)
    }

    /// The calling service's id.
    /// - Throws: ``APIError`` 401 `missing_signature`, `unknown_service`, `stale_timestamp`,
    ///   `invalid_signature` or `replayed_request`.
    func verify(method: String, path: String, service: String?, timestamp: String?, signature: String?, body: [UInt8],
                now: Date = Date()) throws(APIError) -> String {
        guard let service, let timestamp, let signature else {
            throw APIError(.unauthorized, "missing_signature",
                           "sign the request: X-Reward-Service, X-Reward-Timestamp and X-Reward-Signature are required")
        }
        guard let key = secrets[service] else {
            throw APIError(.unauthorized, "unknown_service", "this service is not allowed to grant rewards")
        }
        let nowSeconds = Int64(now.timeIntervalSince1970)
        guard let sent = Int64(timestamp), abs(nowSeconds - sent) <= windowSeconds else {
            throw APIError(.unauthorized, "stale_timestamp", "the timestamp is not within \(windowSeconds) s of the server's clock")
        }
        let bodyHash = RequestSignature.hex(SHA256.hash(data: body))
        let canonical = "\(method.uppercased())\n\(path)\n\(sent)\n\(bodyHash)"
        guard let given = Self.unhex(signature), HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: Array(canonical.utf8),
                                                                                           using: key)
        else {
            throw APIError(.unauthorized, "invalid_signature", "the signature does not match the request")
        }
        let fresh = seen.withLock { seen -> Bool in
            if seen.count > 10_000 { seen = seen.filter { $0.value >= nowSeconds - windowSeconds } }
            guard seen[signature.lowercased()] == nil else { return false }
            seen[signature.lowercased()] = sent
            return true
        }
        guard fresh else { throw APIError(.unauthorized, "replayed_request", "this signed request was already received") }
        return service
    }

    private static func unhex(_ text: String) -> [UInt8]? {
        let bytes = Array(text.lowercased().utf8)
        guard bytes.count == 64 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(32)
        var index = 0
        while index < bytes.count {
            guard let high = nibble(bytes[index]), let low = nibble(bytes[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
