import MariaDB
import RewardTestKit
import Testing

@Suite struct TransactionFailureTests {
    /// A locks row 1, B locks row 2, then each asks for the other's row: InnoDB must pick a victim.
    @Test func deadlockIsTypedAndRetriable() async throws {
        try await withTestPool("deadlock", maxConnections: 3) { pool, _ in
            try await pool.executeScript(
                "CREATE TABLE locks (id INT PRIMARY KEY, v INT) ENGINE=InnoDB; INSERT INTO locks VALUES (1, 0), (2, 0)")
            let aLocked = Signal<Void>()
            let bLocked = Signal<Void>()

            async let a = capture {
                try await pool.withTransaction { connection in
                    _ = try await connection.query("SELECT v FROM locks WHERE id = \(1) FOR UPDATE")
                    aLocked.send(())
                    _ = await bLocked.wait()
                    _ = try await connection.query("SELECT v FROM locks WHERE id = \(2) FOR UPDATE")
                    try await connection.execute("UPDATE locks SET v = v + 1 WHERE id IN (\(1), \(2))")
                }
            }
            async let b = capture {
                try await pool.withTransaction { connection in
                    _ = await aLocked.wait()
                    _ = try await connection.query("SELECT v FROM locks WHERE id = \(2) FOR UPDATE")
                    bLocked.send(())
                    // A holds row 1 and we hold row 2, so whichever of the two crossing requests comes
                    // second closes the cycle: a deadlock is certain, without sleeps or polling.
                    _ = try await connection.query("SELECT v FROM locks WHERE id = \(1) FOR UPDATE")
                    try await connection.execute("UPDATE locks SET v = v + 10 WHERE id IN (\(1), \(2))")
                }
            }
            let results = await [a, b]
            let errors = results.compactMap { result -> (any Error)? in
                if case .failure(let error) = result { return error }
                return nil
            }
            try #require(errors.count == 1, "exactly one transaction must be the deadlock victim: \(errors)")
            let deadlock = try #require(errors.first as? MariaDBError)
            #expect(deadlock.code == .deadlock)
            #expect(deadlock.serverErrorNumber == 1213)
            #expect(deadlock.isRetriable)
            let rows = try await pool.query("SELECT SUM(v) AS s FROM locks")
            let sum = try rows[0].decode("s", as: String.self)  // SUM of INT is DECIMAL: a string
            #expect(sum == "2" || sum == "20", "only the survivor's update is there")
        }
    }

    /// The transaction's own connection is killed right before COMMIT: nobody can know whether it committed.
    @Test func commitOnKilledConnectionIsOutcomeUnknown() async throws {
        try await withTestPool("commitkill", maxConnections: 2) { pool, database in
            try await pool.executeScript("CREATE TABLE t (id INT PRIMARY KEY)")
            let error = await #expect(throws: MariaDBError.self) {
                try await pool.withConnection { killer in
                    try await pool.withTransaction { connection in
                        try await connection.execute("INSERT INTO t VALUES (\(1))")
                        try await TestMariaDB.kill(connection.connectionID, from: killer)
                    }
                }
            }
            #expect(error?.code == .commitOutcomeUnknown)
            #expect(error?.isRetriable == false)
            #expect(error?.serverErrorNumber == 2013 || error?.serverErrorNumber == 2006)
            // Here the kill came first, so the server rolled back; the pool replaced the dead connection.
            let rows = try await pool.query("SELECT COUNT(*) AS n FROM t")
            #expect(try rows[0].decode("n", as: Int.self) == 0)
            #expect(pool.openConnectionCount <= 2)
            _ = database
        }
    }

    @Test func scriptReportsItsFailingStatement() async throws {
        try await withTestPool("script") { pool, _ in
            try await pool.executeScript(
                """
                CREATE TABLE a (id INT PRIMARY KEY);
                SELECT 1;
                INSERT INTO a VALUES (1), (2);
                SELECT * FROM a;
                """)
            let error = await #expect(throws: MariaDBError.self) {
                try await pool.executeScript(
                    """
                    INSERT INTO a VALUES (3);
                    SELECT * FROM a;
                    INSERT INTO a VALUES (1);
                    INSERT INTO a VALUES (4);
                    """)
            }
            #expect(error?.statementIndex == 3)
            #expect(error?.code == .duplicateKey)
            #expect(error?.description.contains("statement 3") == true)
            let syntax = await #expect(throws: MariaDBError.self) {
                try await pool.executeScript("SELECT 1; SELECT 2; SELEC 3; SELECT 4")
            }
            #expect(syntax?.statementIndex == 3)
            #expect(syntax?.code == .syntax)
            let rows = try await pool.query("SELECT id FROM a ORDER BY id")
            #expect(try rows.map { try $0.decode("id", as: Int.self) } == [1, 2, 3])
        }
    }
}
