import Foundation

/// RFC 4648 base64url without padding, strict: anything else is refused.
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Encodes directly into the string's storage: every grant mints a token, and Foundation's
    /// base64 plus three replacements cost more than the HMAC itself.
    static func encode(_ bytes: [UInt8]) -> String {
        let full = bytes.count / 3
        let remainder = bytes.count % 3
        let length = full * 4 + (remainder == 0 ? 0 : remainder + 1)
        return String(unsafeUninitializedCapacity: length) { output in
            alphabet.withUnsafeBufferPointer { table in
                bytes.withUnsafeBufferPointer { input in
                    var out = 0
                    for group in 0..<full {
                        let i = group * 3
                        let value = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                        output[out] = table[Int(value >> 18)]
                        output[out + 1] = table[Int(value >> 12 & 63)]
                        output[out + 2] = table[Int(value >> 6 & 63)]
                        output[out + 3] = table[Int(value & 63)]
                        out += 4
                    }
                    if remainder > 0 {
                        let i = full * 3
                        let value = UInt32(input[i]) << 16 | (remainder == 2 ? UInt32(input[i + 1]) << 8 : 0)
                        output[out] = table[Int(value >> 18)]
                        output[out + 1] = table[Int(value >> 12 & 63)]
                        if remainder == 2 { output[out + 2] = table[Int(value >> 6 & 63)] }
                    }
                }
            }
            return length
        }
    }

    static func decode(_ text: String) -> [UInt8]? {
        guard text.utf8.allSatisfy({ GrantValidation.isIdentifierByte($0) && $0 != UInt8(ascii: ".") }) else { return nil }
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        standard += String(repeating: "=", count: (4 - standard.utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: standard) else { return nil }
        let bytes = [UInt8](data)
        // Refuse non-canonical encodings (stray low bits), so one token has exactly one text form.
        return encode(bytes) == text ? bytes : nil
    }
}
