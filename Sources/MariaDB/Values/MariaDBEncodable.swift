public import Foundation

/// A Swift type that can be bound as a statement parameter.
///
/// Conforming: integers, `Bool`, `Double`, `String`, `[UInt8]`, `Data`, `Date`, ``MariaDBValue``,
/// and `Optional` of any of these (`nil` binds `NULL`).
public protocol MariaDBEncodable: Sendable {
    /// The value to bind.
    var mariaDBValue: MariaDBValue { get }
}

extension MariaDBValue: MariaDBEncodable {
    public var mariaDBValue: MariaDBValue { self }
}

extension Int: MariaDBEncodable {
    public var mariaDBValue: MariaDBValue { .int(Int64(self)) }
}

extension Int8: MariaDBEncodable {
    public var mariaDBValue: MariaDBValue { .int(Int64(self)) }
}

extension Int16: MariaDBEncodable {
    public var mariaDBValue: MariaDBValue { .int(Int64(self)) }
}

extension Int32: MariaDBEncodable {
    public var mariaDBValue: MariaDBValue { .int(Int64(self)) }
}

extension Int64: MariaDBEncodable {
    public var mariaDBValue: MariaDBValue { .int(self) }
}

extension UInt: MariaDBEncodable {
    public var mariaDBValue: MariaDBValue { .uint(UInt64(self)) }
}

extension UInt8: MariaDBEncodable {
    public var mariaDBValue: MariaDBValue { .uint(UInt64(self)) }
}

extension UInt16: MariaDBEncodable {
    public var mariaDBValue: MariaDBValue { .uint(UInt64(self)) }
}

extension UInt32: MariaDBEncodable {
    public var mariaDBValue: MariaDBValue { .uint(UInt64(self)) }
}

extension UInt64: MariaDBEncodable {
    public var mariaDBValue: MariaDBValue { .uint(self) }
}

extension Bool: MariaDBEncodable {
    public var mariaDBValue: MariaDBValue { .int(self ? 1 : 0) }
}

extension Double: MariaDBEncodable {
    public var mariaDBValue: MariaDBValue { .double(self) }
}

extension String: MariaDBEncodable {
    public var mariaDBValue: MariaDBValue { .string(self) }
}

extension Substring: MariaDBEncodable {
    public var mariaDBValue: MariaDBValue { .string(String(self)) }
}

extension Array: MariaDBEncodable where Element == UInt8 {
    public var mariaDBValue: MariaDBValue { .bytes(self) }
}

extension Data: MariaDBEncodable {
    public var mariaDBValue: MariaDBValue { .bytes([UInt8](self)) }
}

extension Date: MariaDBEncodable {
    public var mariaDBValue: MariaDBValue { .date(self) }
}

extension Optional: MariaDBEncodable where Wrapped: MariaDBEncodable {
    public var mariaDBValue: MariaDBValue {
        switch self {
        case .none: .null
        case .some(let wrapped): wrapped.mariaDBValue
        }
    }
}
