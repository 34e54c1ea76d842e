public import struct Foundation.Date

/// One value sent to or received from MariaDB over the binary protocol.
///
/// `.double` exists for non-money columns only; amounts are integers in minor units.
/// `.date` maps to `DATETIME(6)` / `TIMESTAMP(6)` in UTC with microsecond precision.
public enum MariaDBValue: Sendable, Hashable {
    /// SQL `NULL`.
    case null
    /// A signed integer (`TINYINT` … `BIGINT`).
    case int(Int64)
    /// An unsigned integer (`BIGINT UNSIGNED` and other `UNSIGNED` columns).
    case uint(UInt64)
    /// A floating-point number (`FLOAT`, `DOUBLE`). Never for money.
    case double(Double)
    /// Text (`CHAR`, `VARCHAR`, `TEXT`, `DECIMAL`, `TIME`, `JSON`), UTF-8.
    case string(String)
    /// Binary data (`BINARY`, `VARBINARY`, `BLOB`, `BIT`).
    case bytes([UInt8])
    /// A point in time (`DATETIME`, `TIMESTAMP`, `DATE`), interpreted as UTC.
    case date(Date)

    /// Whether this is SQL `NULL`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The name of the case, for error messages that must not show the value itself.
    var kindName: String {
        switch self {
        case .null: "NULL"
        case .int: "integer"
        case .uint: "unsigned integer"
        case .double: "double"
        case .string: "string"
        case .bytes: "bytes"
        case .date: "date"
        }
    }
}
