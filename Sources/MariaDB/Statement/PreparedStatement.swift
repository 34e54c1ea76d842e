import CMariaDB

/// One server-side prepared statement (`mysql_stmt_*`), owned by a connection's statement cache.
///
/// Only used on its connection's executor thread. ``close()`` must run before the `MYSQL` handle closes.
final class PreparedStatement {
    private var statement: UnsafeMutablePointer<MYSQL_STMT>?
    let parameterCount: Int

    /// Prepares `sql` on `mysql`.
    /// - Throws: ``MariaDBError`` from the server (syntax, unknown table…) or the client library.
    init(sql: String, mysql: UnsafeMutablePointer<MYSQL>) throws(MariaDBError) {
        guard let statement = mysql_stmt_init(mysql) else {
            throw MariaDBError.fromConnection(mysql)
        }
        var utf8 = sql
        let rc = utf8.withUTF8 { buffer in
            buffer.withMemoryRebound(to: CChar.self) { mysql_stmt_prepare(statement, $0.baseAddress, UInt($0.count)) }
        }
        if rc != 0 {
            let error = MariaDBError.fromStatement(statement)
            mysql_stmt_close(statement)
            throw error
        }
        var updateMaxLength: my_bool = 1
        mysql_stmt_attr_set(statement, STMT_ATTR_UPDATE_MAX_LENGTH, &updateMaxLength)
        self.statement = statement
        self.parameterCount = Int(mysql_stmt_param_count(statement))
    }

    deinit {
        assert(statement == nil, "PreparedStatement must be closed on its connection's thread")
    }

    /// Closes the statement on the server and frees it. Safe to call twice.
    func close() {
        if let statement { mysql_stmt_close(statement) }
        statement = nil
    }

    /// Executes with `binds`; reads every row when the statement returns a result set.
    /// - Parameters:
    ///   - binds: One value per `?`.
    ///   - collectRows: `false` drains a result set without decoding it.
    func execute(binds: [MariaDBValue], collectRows: Bool) throws(MariaDBError) -> StatementOutcome {
        guard let statement else { throw MariaDBError(.connectionClosed, message: "statement already closed") }
        guard binds.count == parameterCount else {
            throw MariaDBError(.other, message: "the statement has \(parameterCount) placeholders but \(binds.count) values were bound")
        }
        let parameters = try ParameterBinds(binds)
        try withExtendedLifetime(parameters) { () throws(MariaDBError) in
            if parameterCount > 0, mysql_stmt_bind_param(statement, parameters.binds) != 0 {
                throw MariaDBError.fromStatement(statement)
            }
            if mysql_stmt_execute(statement) != 0 {
                throw MariaDBError.fromStatement(statement)
            }
        }
        let outcome = StatementOutcome(
            rows: [],
            affectedRows: mysql_stmt_affected_rows(statement),
            lastInsertID: mysql_stmt_insert_id(statement)
        )
        guard mysql_stmt_field_count(statement) > 0 else { return outcome }
        defer { mysql_stmt_free_result(statement) }
        if mysql_stmt_store_result(statement) != 0 {
            throw MariaDBError.fromStatement(statement)
        }
        var rows: [MariaDBRow] = []
        if collectRows {
            rows = try readRows(statement)
        }
        try drainMoreResults(statement)
        return StatementOutcome(rows: rows, affectedRows: outcome.affectedRows, lastInsertID: outcome.lastInsertID)
    }

    private func readRows(_ statement: UnsafeMutablePointer<MYSQL_STMT>) throws(MariaDBError) -> [MariaDBRow] {
        guard let metadata = mysql_stmt_result_metadata(statement) else {
            throw MariaDBError.fromStatement(statement)
        }
        defer { mysql_free_result(metadata) }
        let count = Int(mysql_num_fields(metadata))
        guard count > 0, let fields = mysql_fetch_fields(metadata) else { return [] }
        var names: [String] = []
        names.reserveCapacity(count)
        for i in 0..<count {
            names.append(fields[i].name.map { String(cString: $0) } ?? "")
        }
        let columns = MariaDBRow.Columns(names: names)
        let results = ResultBinds(fields: fields, count: count)
        return try withExtendedLifetime(results) { () throws(MariaDBError) -> [MariaDBRow] in
            if mysql_stmt_bind_result(statement, results.binds) != 0 {
                throw MariaDBError.fromStatement(statement)
            }
            var rows: [MariaDBRow] = []
            rows.reserveCapacity(Int(mysql_stmt_num_rows(statement)))
            while true {
                let rc = mysql_stmt_fetch(statement)
                if rc == MYSQL_NO_DATA { break }
                if rc != 0 && rc != MYSQL_DATA_TRUNCATED {
                    throw MariaDBError.fromStatement(statement)
                }
                rows.append(MariaDBRow(columns: columns, values: try results.readRow(statement: statement)))
            }
            return rows
        }
    }

    /// Stored procedures can return more results; read them off the wire so the connection stays in sync.
    private func drainMoreResults(_ statement: UnsafeMutablePointer<MYSQL_STMT>) throws(MariaDBError) {
        while mysql_stmt_more_results(statement) != 0 {
            let rc = mysql_stmt_next_result(statement)
            if rc == -1 { return }
            if rc > 0 { throw MariaDBError.fromStatement(statement) }
            if mysql_stmt_field_count(statement) > 0 {
                _ = mysql_stmt_store_result(statement)
                mysql_stmt_free_result(statement)
            }
        }
    }
}

/// What one prepared-statement execution produced.
struct StatementOutcome: Sendable {
    var rows: [MariaDBRow]
    var affectedRows: UInt64
    var lastInsertID: UInt64
}
