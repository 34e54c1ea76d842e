import Crypto
import Foundation

/// Checks an activity service's signed request: a timestamp within the window, and an HMAC over
/// the service id, method, path, timestamp and body hash with that service's secret.
///
/// An unknown service and a wrong signature get the same answer (401 `invalid_signature`) after the
/// same work (an unknown service is checked against a random key), so service ids cannot be
/// found by probing. Replays are refused by ``ReplayCache`` after the caller's rate limit, so an
/// unauthenticated or over-limit caller never fills the cache.
final class SignedRequestVerifier: Sendable {
    /// A request whose signature verified: who sent it, and what the replay cache keys it by.
    struct Authenticated: Sendable {
        var service: String
        var timestamp: Int64
        var mac: [UInt8]
    }

    private let keys: [String: SymmetricKey]
    /// Stands in for an unknown service's key, so both answers cost one HMAC.
    private let decoy = SymmetricKey(size: .bits256)
    private let windowSeconds: Int64

    init(secrets: [String: [UInt8]], window: Duration) {
        self.keys = secrets.mapValues { SymmetricKey(data: $0) }
        self.windowSeconds = max(1, window.components.seconds)
    }

    var window: Int64 { windowSeconds }

    /// - Throws: ``APIError`` 401 `missing_signature`, `stale_timestamp` or `invalid_signature`.
    func authenticate(method: String, path: String, service: String?, timestamp: String?, signature: String?, body: [UInt8],
                      now: Date = Date()) throws(APIError) -> Authenticated {
        guard let service, let timestamp, let signature else {
            throw APIError(.unauthorized, "missing_signature",
                           "sign the request: X-Reward-Service, X-Reward-Timestamp and X-Reward-Signature are required")
        }
        // Range-checked by comparison only: no arithmetic on the caller's number can overflow.
        let nowSeconds = Int64(now.timeIntervalSince1970)
        guard timestamp.utf8.count <= 19, timestamp.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let sent = Int64(timestamp), sent >= nowSeconds - windowSeconds, sent <= nowSeconds + windowSeconds
        else {
            throw APIError(.unauthorized, "stale_timestamp",
                           "X-Reward-Timestamp must be Unix seconds within \(windowSeconds) s of the server's clock")
        }
        let invalid = APIError(.unauthorized, "invalid_signature", "the signature does not verify for this service and request")
        guard service.utf8.count <= 64, let given = Self.unhex(signature) else { throw invalid }
        let key = keys[service] ?? decoy
        let canonical = RequestSignature.canonical(method: method, path: path, service: service, timestamp: sent,
                                                   bodyHash: RequestSignature.hex(SHA256.hash(data: body)))
        guard HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: Array(canonical.utf8), using: key), keys[service] != nil
        else { throw invalid }
        return Authenticated(service: service, timestamp: sent, mac: given)
    }

    private static func unhex(_ text: String) -> [UInt8]? {
        let bytes = Array(text.utf8)
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
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
