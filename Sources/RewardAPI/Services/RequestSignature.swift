import Crypto
import Foundation

/// How an activity service signs a request to `reward-api`:
///
///     X-Reward-Service:   <service id>
///     X-Reward-Timestamp: <unix seconds>
///     X-Reward-Signature: hex(HMAC-SHA256(secret, "reward-api-v2\nMETHOD\nPATH\nSERVICE\nTIMESTAMP\nhex(SHA-256(body))"))
///
/// The path is the request target as sent (with its query). The service id is signed too, so a
/// signature cannot be presented under another service's name. The server refuses a timestamp
/// outside its window and any signature it has seen within the window (a replay).
public enum RequestSignature {
    public static let serviceHeader = "X-Reward-Service"
    public static let timestampHeader = "X-Reward-Timestamp"
    public static let signatureHeader = "X-Reward-Signature"

    /// The hex signature of one request.
    public static func sign(method: String, path: String, service: String, timestamp: Int64, body: some Sequence<UInt8>,
                            secret: [UInt8]) -> String {
        let text = canonical(method: method, path: path, service: service, timestamp: timestamp,
                             bodyHash: hex(SHA256.hash(data: Array(body))))
        return hex(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: SymmetricKey(data: secret)))
    }

    static func canonical(method: String, path: String, service: String, timestamp: Int64, bodyHash: String) -> String {
        "reward-api-v2\n\(method.uppercased())\n\(path)\n\(service)\n\(timestamp)\n\(bodyHash)"
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
