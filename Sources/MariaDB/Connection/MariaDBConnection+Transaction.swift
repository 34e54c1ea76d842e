extension MariaDBConnection {
    /// Runs `body` inside a transaction: `BEGIN`, the body, `COMMIT`.
    ///
    /// If the body throws, the transaction is rolled back (a failing `ROLLBACK` on a dead connection is
    /// ignored) and the body's error is rethrown unchanged. If `COMMIT` fails because the connection
    /// was lost or the server went away, the outcome is unknown and this throws
    /// ``MariaDBError/Code-swift.struct/commitOutcomeUnknown``: the caller must check by its
    /// idempotency key whether the work was committed before retrying.
    ///
    /// Do not nest: MariaDB has no nested transactions, and a second `BEGIN` commits the first.
    /// - Parameter body: The work; use only the connection it receives.
    /// - Returns: What `body` returned.
    /// - Throws: The body's error, a ``MariaDBError`` from `BEGIN`/`COMMIT`, or `.commitOutcomeUnknown`.
    public func withTransaction<T>(_ body: (MariaDBConnection) async throws -> T) async throws -> T {
        try await simpleCommand("BEGIN")
        let result: T
        do {
            result = try await body(self)
        } catch {
            await rollbackIgnoringErrors()
            throw error
        }
        do {
            try await simpleCommand("COMMIT")
        } catch let error as MariaDBError where error.code == .lostConnection || error.code == .serverGone {
            throw MariaDBError(
                .commitOutcomeUnknown,
                message: "COMMIT was sent but the connection failed before the answer (\(error.code)): "
                    + "the transaction may or may not be committed; re-check by idempotency key",
                serverErrorNumber: error.serverErrorNumber,
                sqlState: error.sqlState
            )
        } catch {
            await rollbackIgnoringErrors()
            throw error
        }
        return result
    }

    private func rollbackIgnoringErrors() async {
        do {
            try await simpleCommand("ROLLBACK")
        } catch {
            handle.logger.debug("ROLLBACK failed; the connection will be discarded", metadata: ["error": "\(error)"])
            handle.markBroken()
        }
    }
}
