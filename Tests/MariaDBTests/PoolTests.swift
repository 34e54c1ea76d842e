import MariaDB
import RewardTestKit
import Testing

@Suite struct PoolTests {
    @Test func concurrentTransactionsAreExactAndBounded() async throws {
        // 800 transactions queue on one row lock; when the test run shares the disk with the load
        // tests a waiter can exceed the 10 s defaults. This test is about exactness and the bound, not time.
        try await withTestPool("counter", maxConnections: 8, configure: {
            $0.pool.acquireTimeout = .seconds(300)
            $0.readTimeout = .seconds(180)
            $0.lockWaitTimeout = .seconds(170)
        }) { pool, database in
            try await pool.executeScript(
                "CREATE TABLE counter (id INT PRIMARY KEY, value BIGINT NOT NULL); INSERT INTO counter VALUES (1, 0)")
            let poolPeak = Shared(0)
            let serverPeak = Shared(0)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<32 {
                    group.addTask {
                        for i in 0..<25 {
                            try await pool.withTransaction { connection in
                                let rows = try await connection.query("SELECT value FROM counter WHERE id = \(1) FOR UPDATE")
                                let value = try rows[0].decode("value", as: Int64.self)
                                try await connection.execute("UPDATE counter SET value = \(value + 1) WHERE id = \(1)")
                                let open = pool.openConnectionCount
                                poolPeak.update { $0 = max($0, open) }
                                if i % 10 == 0 {
                                    let seen = try await connection.query(
                                        "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = \(database.name)")
                                    let n = try seen[0].decode("n", as: Int.self)
                                    serverPeak.update { $0 = max($0, n) }
                                }
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let rows = try await pool.query("SELECT value FROM counter WHERE id = \(1)")
            #expect(try rows[0].decode("value", as: Int64.self) == 32 * 25)
            #expect(poolPeak.value <= 8)
            #expect(poolPeak.value > 1)
            #expect(serverPeak.value <= 8)
            #expect(pool.openConnectionCount <= 8)
        }
    }

    @Test func throwingBodyRollsBackAndRethrows() async throws {
        try await withTestPool("rollback") { pool, _ in
            try await pool.executeScript("CREATE TABLE t (id INT PRIMARY KEY, note VARCHAR(20))")
            await #expect(throws: Boom.self) {
                try await pool.withTransaction { connection in
                    try await connection.execute("INSERT INTO t VALUES (\(1), \("ghost"))")
                    let inside = try await connection.query("SELECT COUNT(*) AS n FROM t")
                    #expect(try inside[0].decode("n", as: Int.self) == 1)
                    throw Boom()
                }
            }
            let rows = try await pool.query("SELECT COUNT(*) AS n FROM t")
            #expect(try rows[0].decode("n", as: Int.self) == 0)

            // A body that leaves a transaction open in withConnection does not leak it to the next user.
            try await pool.withConnection { connection in
                try await connection.execute("BEGIN")
                try await connection.execute("INSERT INTO t VALUES (\(2), \("left open"))")
            }
            let after = try await pool.query("SELECT COUNT(*) AS n FROM t")
            #expect(try after[0].decode("n", as: Int.self) == 0)
        }
    }

    @Test func duplicateKeyIsTypedAndPoolStaysUsable() async throws {
        try await withTestPool("dupkey", maxConnections: 2) { pool, _ in
            try await pool.executeScript("CREATE TABLE t (id INT PRIMARY KEY, email VARCHAR(100) UNIQUE)")
            try await pool.execute("INSERT INTO t VALUES (\(1), \("alice@example.com"))")
            let error = await #expect(throws: MariaDBError.self) {
                try await pool.execute("INSERT INTO t VALUES (\(2), \("alice@example.com"))")
            }
            #expect(error?.code == .duplicateKey)
            #expect(error?.serverErrorNumber == 1062)
            #expect(error?.sqlState == "23000")
            #expect(error?.isRetriable == false)
            #expect(error.map { !$0.description.contains("alice") } == true)
            let inTransaction = await #expect(throws: MariaDBError.self) {
                try await pool.withTransaction { connection in
                    try await connection.execute("INSERT INTO t VALUES (\(3), \("bob@example.com"))")
                    try await connection.execute("INSERT INTO t VALUES (\(1), \("carol@example.com"))")
                }
            }
            #expect(inTransaction?.code == .duplicateKey)
            for id in 10..<20 {
                try await pool.execute("INSERT INTO t VALUES (\(id), \("user\(id)@example.com"))")
            }
            let rows = try await pool.query("SELECT COUNT(*) AS n FROM t")
            #expect(try rows[0].decode("n", as: Int.self) == 11)
        }
    }

    @Test func checkConstraintAndSyntaxErrorsAreTyped() async throws {
        try await withTestPool("checks") { pool, _ in
            try await pool.executeScript("CREATE TABLE t (amount BIGINT NOT NULL CHECK (amount >= 0))")
            let check = await #expect(throws: MariaDBError.self) { try await pool.execute("INSERT INTO t VALUES (\(-5))") }
            #expect(check?.code == .checkViolation)
            let syntax = await #expect(throws: MariaDBError.self) { try await pool.query("SELEKT \(1)") }
            #expect(syntax?.code == .syntax)
            let result = try await pool.execute("INSERT INTO t VALUES (\(5)), (\(6))")
            #expect(result.affectedRows == 2)
        }
    }

    @Test func waitersTimeOutAndAreServedInOrder() async throws {
        try await withTestPool("timeout", maxConnections: 1, configure: { $0.pool.acquireTimeout = .milliseconds(300) }) { pool, _ in
            let held = Signal<Void>()
            let release = Signal<Void>()
            let order = Shared<[Int]>([])
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await pool.withConnection { _ in
                        held.send(())
                        _ = await release.wait()
                    }
                }
                _ = await held.wait()
                let timeout = await #expect(throws: MariaDBError.self) { try await pool.query("SELECT \(1) AS n") }
                #expect(timeout?.code == .poolTimeout)
                for i in 0..<3 {
                    group.addTask {
                        try await pool.withConnection { _ in order.update { $0.append(i) } }
                    }
                    try await Task.sleep(for: .milliseconds(30))  // queue them in a known order
                }
                release.send(())
                try await group.waitForAll()
            }
            #expect(order.value == [0, 1, 2])
            #expect(pool.openConnectionCount == 1)
        }
    }

    @Test func shutdownRejectsNewWork() async throws {
        let database = try await TestMariaDB.makeDatabase(prefix: "shutdown")
        let pool = MariaDBPool(configuration: database.configuration, logger: TestMariaDB.quietLogger)
        _ = try await pool.query("SELECT \(1) AS n")
        #expect(pool.openConnectionCount == 1)
        await pool.shutdown()
        #expect(pool.openConnectionCount == 0)
        let error = await #expect(throws: MariaDBError.self) { try await pool.query("SELECT \(1) AS n") }
        #expect(error?.code == .poolShutdown)
        try await database.drop()
    }
}
