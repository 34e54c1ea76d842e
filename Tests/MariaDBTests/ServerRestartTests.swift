import MariaDB
import RewardTestKit
import Testing

/// A private server is stopped or killed under a live pool; the same pool must carry on.
@Suite(.serialized) struct ServerRestartTests {
    enum Outage: String, CaseIterable {
        case cleanRestart, killAndStart
    }

    @Test(arguments: Outage.allCases)
    func poolSurvivesServerRestart(_ outage: Outage) async throws {
        let server = try MariaDBServerProcess()
        do {
            try await server.start()
            try await exercise(server, outage)
            await server.destroy()
        } catch {
            await server.destroy()
            throw error
        }
    }

    private func exercise(_ server: MariaDBServerProcess, _ outage: Outage) async throws {
        let database = try await TestMariaDB.makeDatabase(prefix: "restart", server: server.configuration)
        var configuration = database.configuration
        configuration.pool.maxConnections = 4
        let pool = MariaDBPool(configuration: configuration, logger: TestMariaDB.quietLogger)
        do {
            try await survive(outage, of: server, with: pool)
            await pool.shutdown()
        } catch {
            await pool.shutdown()
            throw error
        }
    }

    private func survive(_ outage: Outage, of server: MariaDBServerProcess, with pool: MariaDBPool) async throws {
        try await pool.executeScript("CREATE TABLE t (id INT PRIMARY KEY) ENGINE=InnoDB")

        // Open several connections so several idle ones go stale at once.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in 0..<16 {
                group.addTask {
                    try await pool.withTransaction { connection in
                        try await connection.execute("INSERT INTO t VALUES (\(id))")
                        try await Task.sleep(for: .milliseconds(20))
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(pool.openConnectionCount > 1)

        switch outage {
        case .cleanRestart:
            try await server.restart()
        case .killAndStart:
            try await server.kill()
            try await server.start()
        }

        // The first call may meet a dead pooled connection; that error must be typed as retriable,
        // and a retry on the same pool must succeed.
        let (_, errors) = try await retrying(attempts: 3) {
            try await pool.execute("INSERT INTO t VALUES (\(100))")
        }
        #expect(errors.count <= 1, "\(errors)")

        for error in errors {
            #expect(error.isRetriable, "\(error)")
            #expect(error.code == .lostConnection || error.code == .serverGone, "\(error)")
        }

        // After the first loss, every other stale connection is validated before reuse: no more errors.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in 200..<208 {
                group.addTask { try await pool.execute("INSERT INTO t VALUES (\(id))") }
            }
            try await group.waitForAll()
        }
        let rows = try await pool.query("SELECT COUNT(*) AS n FROM t")
        #expect(try rows[0].decode("n", as: Int.self) == 16 + 1 + 8, "every committed row survived the \(outage)")
        #expect(pool.openConnectionCount <= 4)
    }
}
