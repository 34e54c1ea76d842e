/// Byte comparisons whose time does not depend on where the bytes differ, for secrets.
enum ConstantTime {
    /// Whether `a` and `b` are equal; every byte is looked at even after a difference. Lengths
    /// are not secret here (digests and tokens of fixed size), so unequal lengths answer at once.
    static func equal(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
