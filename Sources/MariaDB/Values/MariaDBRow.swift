/// One row of a result set: column names and the values in column order.
public struct MariaDBRow: Sendable {
    /// Column names and a name → index lookup, shared by every row of one result.
    final class Columns: Sendable {
        let names: [String]
        let indexByName: [String: Int]

        init(names: [String]) {
            self.names = names
            var index: [String: Int] = [:]
            for (i, name) in names.enumerated() where index[name] == nil { index[name] = i }
            self.indexByName = index
        }
    }

    let columns: Columns
    /// The values in column order.
    public let values: [MariaDBValue]

    init(columns: Columns, values: [MariaDBValue]) {
        self.columns = columns
        self.values = values
    }

    /// The column names (labels) in result order.
    public var columnNames: [String] { columns.names }

    /// Decodes the value of the named column (the first one, if a name repeats).
    /// - Parameters:
    ///   - column: The column name or alias, as in the `SELECT` list.
    ///   - type: The type to decode; `Optional` accepts `NULL`.
    /// - Throws: ``MariaDBError`` with `.unexpectedNull`, or `.decodingFailed` for a type mismatch or unknown column.
    public func decode<T: MariaDBDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let index = columns.indexByName[column] else {
            throw MariaDBError(.decodingFailed, message: "no column named '\(column)' in the result")
        }
        return try decode(at: index, name: column, as: type)
    }

    /// Decodes the value at a 0-based column index.
    /// - Parameters:
    ///   - index: The column position in the `SELECT` list, from 0.
    ///   - type: The type to decode; `Optional` accepts `NULL`.
    /// - Throws: ``MariaDBError`` with `.unexpectedNull`, or `.decodingFailed` for a type mismatch or a bad index.
    public func decode<T: MariaDBDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        guard values.indices.contains(index) else {
            throw MariaDBError(.decodingFailed, message: "column index \(index) out of range 0..<\(values.count)")
        }
        return try decode(at: index, name: columns.names[index], as: type)
    }

    private func decode<T: MariaDBDecodable>(at index: Int, name: String, as type: T.Type) throws -> T {
        do {
            return try T(mariaDBValue: values[index])
        } catch var error as MariaDBError {
            error.message = "column '\(name)': " + error.message
            throw error
        } catch {
            throw MariaDBError(.decodingFailed, message: "column '\(name)': \(T.self) failed to decode: \(error)")
        }
    }
}
