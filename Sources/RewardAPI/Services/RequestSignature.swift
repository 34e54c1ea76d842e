import Crypto
import Foundation

/// How an activity service signs a request to `reward-api`:
///
///     X-Reward-Service:   <service id>
///     X-Reward-Timestamp: <unix seconds>
///     X-Reward-Signature: hex(HMAC-SHA256(secret, METHOD \n PATH \n TIMESTAMP \n hex(SHA-256(body))))
///
/// The path is the request target as sent (with its query). The server refuses a timestamp
/// outside its window and any signature it has seen within the window (a replay).
public enum RequestSignature {
    public static let serviceHeader = "X-Reward-Service"
    public static let timestampHeader = "X-Reward-Timestamp"
    public static let signatureHeader = "X-Reward-Signature"

    /// The hex signature of one request.
    public static func sign(method: String, path: String, timestamp: Int64, body: some Sequence<UInt8>, secret: [UInt8]) -> String {
        let bodyHash = hex(SHA256.hash(data: Array(body)))
        let canonical = "\(method.uppercased())\n\(path)\n\(timestamp)\n\(bodyHash)"
        let mac = HMAC<SHA256>.authenticationCode(for: Array(canonical.utf8), using: SymmetricKey(data: secret))
        return hex(mac)
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
