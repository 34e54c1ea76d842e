/// An amount of money in integer minor units (fen, cents), with its currency.
///
/// Never a `Double`: every sum in the pipeline is exact to the minor unit, and overflow is an
/// error rather than a wrap.
public struct Money: Hashable, Sendable, Codable, CustomStringConvertible {
    public var minorUnits: Int64
    public var currency: Currency

    public init(minorUnits: Int64, currency: Currency) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    /// Adds two amounts of one currency; `nil` on overflow or a currency mismatch.
    public func adding(_ other: Money) -> Money? {
        guard currency == other.currency else { return nil }
        let (sum, overflow) = minorUnits.addingReportingOverflow(other.minorUnits)
        return overflow ? nil : Money(minorUnits: sum, currency: currency)
    }

    /// `12.34 CNY` for two-decimal currencies, `1234 COIN` for units.
    public var description: String {
        guard currency.minorUnitDigits > 0 else { return "\(minorUnits) \(currency.code)" }
        let scale = Int64(pow10(currency.minorUnitDigits))
        let sign = minorUnits < 0 ? "-" : ""
        let magnitude = minorUnits.magnitude
        let fraction = String(magnitude % UInt64(scale))
        let padded = String(repeating: "0", count: currency.minorUnitDigits - fraction.count) + fraction
        return "\(sign)\(magnitude / UInt64(scale)).\(padded) \(currency.code)"
    }

    private func pow10(_ digits: Int) -> Int {
        (0..<digits).reduce(1) { value, _ in value * 10 }
    }
}

/// What a wallet holds: real money (cash) or an in-app unit (coins).
public struct Currency: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Upper-case code: `CNY`, `COIN`.
    public var code: String
    /// Digits after the decimal point in display: 2 for CNY, 0 for coins.
    public var minorUnitDigits: Int

    public init(code: String, minorUnitDigits: Int) {
        self.code = code
        self.minorUnitDigits = minorUnitDigits
    }

    public static let cny = Currency(code: "CNY", minorUnitDigits: 2)
    public static let coin = Currency(code: "COIN", minorUnitDigits: 0)

    public var description: String { code }
}
