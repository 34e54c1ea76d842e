import Crypto

/// HMAC-SHA256 (RFC 2104) with the keyed inner and outer hash states computed once.
///
/// Every grant mints a token; copying two prepared SHA-256 states and feeding them through
/// `update(bufferPointer:)` avoids re-deriving the pads and swift-crypto's generic
/// `DataProtocol` path. Tests check it against `HMAC<SHA256>` byte for byte.
struct PreparedHMAC: Sendable {
    private var inner = SHA256()
    private var outer = SHA256()

    init(key: [UInt8], prefix: [UInt8] = []) {
        let blockSize = 64
        var block = key.count > blockSize ? Array(SHA256.hash(data: key)) : key
        block += [UInt8](repeating: 0, count: blockSize - block.count)
        block.map { $0 ^ 0x36 }.withUnsafeBytes { inner.update(bufferPointer: $0) }
        block.map { $0 ^ 0x5C }.withUnsafeBytes { outer.update(bufferPointer: $0) }
        prefix.withUnsafeBytes { inner.update(bufferPointer: $0) }
    }

    /// The MAC of the prefix given at init followed by `message`, cut to `length` bytes.
    func authenticate(_ message: [UInt8], length: Int) -> [UInt8] {
        var inner = self.inner
        message.withUnsafeBytes { inner.update(bufferPointer: $0) }
        var outer = self.outer
        inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
        return outer.finalize().withUnsafeBytes { Array($0.prefix(length)) }
    }
}
