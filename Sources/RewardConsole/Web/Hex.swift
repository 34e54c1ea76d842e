/// Bytes as two lowercase hex digits each.
enum Hex {
    private static let digits = Array("0123456789abcdef")

    static func string(_ bytes: some Sequence<UInt8>, separator: String = "") -> String {
        bytes.map { String([digits[Int($0 >> 4)], digits[Int($0 & 0x0f)]]) }.joined(separator: separator)
    }
}
