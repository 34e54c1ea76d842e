public import Foundation

/// A Swift type that can be read from a result column.
///
/// Conforming: integers (range-checked), `Bool` (from integers or `BIT(1)`), `Double`, `String`
/// (also `DECIMAL`), `[UInt8]`, `Data`, `Date`, ``MariaDBValue``, and `Optional` of any of these.
/// Decoding SQL `NULL` into a non-optional type throws ``MariaDBError/Code-swift.struct/unexpectedNull``;
/// a type that does not fit throws ``MariaDBError/Code-swift.struct/decodingFailed``.
public protocol MariaDBDecodable: Sendable {
    /// Creates a value from a column value.
    /// - Parameter mariaDBValue: The value as received.
    /// - Throws: ``MariaDBError`` with `.unexpectedNull` or `.decodingFailed`.
    init(mariaDBValue: MariaDBValue) throws
}

extension MariaDBError {
    static func unexpectedNull(decoding type: Any.Type) -> MariaDBError {
        MariaDBError(.unexpectedNull, message: "NULL cannot be decoded as non-optional \(type)")
    }

    static func mismatch(decoding value: MariaDBValue, as type: Any.Type) -> MariaDBError {
        if value.isNull { return unexpectedNull(decoding: type) }
        return MariaDBError(.decodingFailed, message: "a \(value.kindName) value cannot be decoded as \(type)")
    }
}

extension MariaDBValue: MariaDBDecodable {
    public init(mariaDBValue: MariaDBValue) throws { self = mariaDBValue }
}

extension FixedWidthInteger where Self: MariaDBDecodable {
    /// Range-checked conversion from `.int` / `.uint`.
    static func converting(_ value: MariaDBValue) throws -> Self {
        switch value {
        case .int(let v): if let r = Self(exactly: v) { return r }
        case .uint(let v): if let r = Self(exactly: v) { return r }
        default: break
        }
        throw MariaDBError.mismatch(decoding: value, as: Self.self)
    }
}

extension Int: MariaDBDecodable {
    public init(mariaDBValue: MariaDBValue) throws { self = try .converting(mariaDBValue) }
}

extension Int8: MariaDBDecodable {
    public init(mariaDBValue: MariaDBValue) throws { self = try .converting(mariaDBValue) }
}

extension Int16: MariaDBDecodable {
    public init(mariaDBValue: MariaDBValue) throws { self = try .converting(mariaDBValue) }
}

extension Int32: MariaDBDecodable {
    public init(mariaDBValue: MariaDBValue) throws { self = try .converting(mariaDBValue) }
}

extension Int64: MariaDBDecodable {
    public init(mariaDBValue: MariaDBValue) throws { self = try .converting(mariaDBValue) }
}

extension UInt: MariaDBDecodable {
    public init(mariaDBValue: MariaDBValue) throws { self = try .converting(mariaDBValue) }
}

extension UInt8: MariaDBDecodable {
    public init(mariaDBValue: MariaDBValue) throws { self = try .converting(mariaDBValue) }
}

extension UInt16: MariaDBDecodable {
    public init(mariaDBValue: MariaDBValue) throws { self = try .converting(mariaDBValue) }
}

extension UInt32: MariaDBDecodable {
    public init(mariaDBValue: MariaDBValue) throws { self = try .converting(mariaDBValue) }
}

extension UInt64: MariaDBDecodable {
    public init(mariaDBValue: MariaDBValue) throws { self = try .converting(mariaDBValue) }
}

extension Bool: MariaDBDecodable {
    public init(mariaDBValue: MariaDBValue) throws {
        switch mariaDBValue {
        case .int(let v): self = v != 0
        case .uint(let v): self = v != 0
        case .bytes(let b) where b.count == 1: self = b[0] != 0
        default: throw MariaDBError.mismatch(decoding: mariaDBValue, as: Bool.self)
        }
    }
}

extension Double: MariaDBDecodable {
    public init(mariaDBValue: MariaDBValue) throws {
        guard case .double(let v) = mariaDBValue else {
            throw MariaDBError.mismatch(decoding: mariaDBValue, as: Double.self)
        }
        self = v
    }
}

extension String: MariaDBDecodable {
    public init(mariaDBValue: MariaDBValue) throws {
        guard case .string(let v) = mariaDBValue else {
            throw MariaDBError.mismatch(decoding: mariaDBValue, as: String.self)
        }
        self = v
    }
}

extension Array: MariaDBDecodable where Element == UInt8 {
    public init(mariaDBValue: MariaDBValue) throws {
        guard case .bytes(let v) = mariaDBValue else {
            throw MariaDBError.mismatch(decoding: mariaDBValue, as: [UInt8].self)
        }
        self = v
    }
}

extension Data: MariaDBDecodable {
    public init(mariaDBValue: MariaDBValue) throws {
        guard case .bytes(let v) = mariaDBValue else {
            throw MariaDBError.mismatch(decoding: mariaDBValue, as: Data.self)
        }
        self = Data(v)
    }
}

extension Date: MariaDBDecodable {
    public init(mariaDBValue: MariaDBValue) throws {
        guard case .date(let v) = mariaDBValue else {
            throw MariaDBError.mismatch(decoding: mariaDBValue, as: Date.self)
        }
        self = v
    }
}

extension Optional: MariaDBDecodable where Wrapped: MariaDBDecodable {
    public init(mariaDBValue: MariaDBValue) throws {
        if mariaDBValue.isNull {
            self = .none
        } else {
            self = .some(try Wrapped(mariaDBValue: mariaDBValue))
        }
    }
}
