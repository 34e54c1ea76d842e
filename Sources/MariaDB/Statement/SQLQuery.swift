/// SQL text with `?` placeholders and the values bound to them.
///
/// String interpolation becomes a bound parameter, never SQL text:
/// ```swift
/// let q: SQLQuery = "SELECT balance FROM accounts WHERE id = \(id) AND owner = \(user)"
/// // q.sql == "SELECT balance FROM accounts WHERE id = ? AND owner = ?", q.binds == [.int(id), .string(user)]
/// ```
/// Use `\(unescaped: name)` for trusted SQL fragments and `\(identifier: name)` for a quoted identifier.
/// Build statements piece by piece with ``append(_:)`` and ``append(sql:)``, for example multi-row inserts.
///
/// ``description`` shows the SQL and the number of binds, never the bound values.
public struct SQLQuery: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    /// The SQL text with one `?` per bound value.
    public private(set) var sql: String
    /// The bound values, in placeholder order.
    public private(set) var binds: [MariaDBValue]

    /// Creates a query from SQL text that already contains `?` placeholders and their values.
    /// - Parameters:
    ///   - sql: SQL text.
    ///   - binds: One value per `?` in `sql`.
    public init(sql: String, binds: [MariaDBValue] = []) {
        self.sql = sql
        self.binds = binds
    }

    public init(stringLiteral value: String) {
        self.init(sql: value)
    }

    public init(stringInterpolation: StringInterpolation) {
        self.init(sql: stringInterpolation.sql, binds: stringInterpolation.binds)
    }

    /// Appends another query's SQL text and binds.
    /// - Parameter other: The fragment to append, e.g. `"(\(a), \(b))"`.
    public mutating func append(_ other: SQLQuery) {
        sql += other.sql
        binds += other.binds
    }

    /// Appends trusted SQL text without binds (keywords, separators, identifiers you control).
    /// - Parameter sql: Text appended as is.
    public mutating func append(sql: String) {
        self.sql += sql
    }

    /// Appends a `?` placeholder bound to `value`.
    /// - Parameter value: The value to bind.
    public mutating func append(bind value: some MariaDBEncodable) {
        sql += "?"
        binds.append(value.mariaDBValue)
    }

    /// Appends a `?` placeholder bound to an optional value (`nil` binds `NULL`).
    /// - Parameter value: The value to bind.
    public mutating func append<Value: MariaDBEncodable>(bind value: Value?) {
        sql += "?"
        binds.append(value.mariaDBValue)
    }

    /// Appends `(?, ?, …)` bound to `values`, for `IN`; `(NULL)` for none, which matches nothing.
    public mutating func appendList<Values: Sequence>(_ values: Values) where Values.Element: MariaDBEncodable {
        append(sql: "(")
        var first = true
        for value in values {
            if !first { append(sql: ", ") }
            append(bind: value)
            first = false
        }
        if first { append(sql: "NULL") }
        append(sql: ")")
    }

    public var description: String {
        "SQLQuery(\(sql.count > 200 ? String(sql.prefix(200)) + "…" : sql), \(binds.count) binds)"
    }

    /// Builds an ``SQLQuery`` from an interpolated string literal.
    public struct StringInterpolation: StringInterpolationProtocol, Sendable {
        var sql: String
        var binds: [MariaDBValue]

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql = ""
            sql.reserveCapacity(literalCapacity + interpolationCount)
            binds = []
            binds.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            sql += literal
        }

        /// Binds a value as a `?` parameter.
        public mutating func appendInterpolation(_ value: some MariaDBEncodable) {
            sql += "?"
            binds.append(value.mariaDBValue)
        }

        /// Binds an optional value; `nil` binds SQL `NULL`.
        public mutating func appendInterpolation<Value: MariaDBEncodable>(_ value: Value?) {
            sql += "?"
            binds.append(value.mariaDBValue)
        }

        /// Inserts a trusted SQL fragment verbatim. Never pass user input here.
        public mutating func appendInterpolation(unescaped fragment: String) {
            sql += fragment
        }

        /// Inserts an identifier (table, column, database name) quoted with backticks.
        public mutating func appendInterpolation(identifier name: String) {
            sql += "`" + name.replacingBackticks() + "`"
        }

        /// Inserts another query's SQL and binds.
        public mutating func appendInterpolation(_ query: SQLQuery) {
            sql += query.sql
            binds += query.binds
        }
    }
}

extension String {
    /// Doubles backticks so the string can sit inside a backtick-quoted identifier.
    func replacingBackticks() -> String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for ch in self {
            if ch == "`" { out += "``" } else { out.append(ch) }
        }
        return out
    }
}
