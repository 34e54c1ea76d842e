import Crypto

/// Token keys anyone can read in this repository: the development key in `ops/config/dev.json` and
/// the key the test kit hands to child processes. A ring holding one of them may sign or verify
/// only in development mode (see ``DeploymentMode``); in production anyone could mint with it.
///
/// Kept as SHA-256 digests so the list itself is not a key someone could copy into a config.
enum PublishedKeys {
    private static let digests: Set<String> = [
        "68c31773dda3695c7bf47e15df394115c1895eea95d921e21d70c06eb32e3c3c",  // ops/config/dev.json, key 1
        "544e62cee8033709e389e5b2755343d0d0fa8c4850215cfb6331717e80d1aea3",  // test kit: 32 × 0x2A
    ]

    static func contains(_ key: [UInt8]) -> Bool {
        digests.contains(hex(SHA256.hash(data: key)))
    }

    /// 8 hex digits that identify a key without revealing it (a hash of a fixed label and the key).
    static func fingerprint(_ key: [UInt8]) -> String {
        String(hex(SHA256.hash(data: Array("reward-token-key-fingerprint".utf8) + key)).prefix(8))
    }

    private static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
