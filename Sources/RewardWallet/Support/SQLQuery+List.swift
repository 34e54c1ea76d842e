import MariaDB

extension SQLQuery {
    /// Appends `(?, ?, …)` bound to `values`; `(NULL)` for none, which matches nothing in `IN`.
    mutating func appendList<Values: Sequence>(_ values: Values) where Values.Element: MariaDBEncodable {
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
}
