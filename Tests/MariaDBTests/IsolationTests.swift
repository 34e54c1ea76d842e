import Configuration
import MariaDB
import RewardTestKit
import Testing

@Suite struct IsolationTests {
    @Test("A configured isolation level is set on every connection when it opens")
    func isolationSetAtConnect() async throws {
        try await withTestPool("isolation", configure: { $0.transactionIsolation = .readCommitted }) { pool, _ in
            let rows = try await pool.query("SELECT @@tx_isolation AS level")
            #expect(try rows[0].decode("level", as: String.self) == "READ-COMMITTED")
            // Still set inside a transaction, and after the connection is reused.
            let inside = try await pool.withTransaction { try await $0.query("SELECT @@tx_isolation AS level") }
            #expect(try inside[0].decode("level", as: String.self) == "READ-COMMITTED")
        }
        try await withTestPool("isolationdefault") { pool, _ in
            let rows = try await pool.query("SELECT @@tx_isolation AS level")
            #expect(try rows[0].decode("level", as: String.self) == "REPEATABLE-READ")
        }
    }
}

@Suite struct IsolationSettingTests {
    @Test("db.transactionIsolation is read in any spelling; an unknown value keeps the server's default")
    func readFromSettings() {
        func parse(_ text: String) -> MariaDBConfiguration.TransactionIsolation? {
            let provider = InMemoryProvider(values: ["transactionIsolation": ConfigValue(.string(text), isSecret: false)])
            return MariaDBConfiguration(config: ConfigReader(provider: provider)).transactionIsolation
        }
        #expect(parse("read-committed") == .readCommitted)
        #expect(parse("READ COMMITTED") == .readCommitted)
        #expect(parse("repeatable_read") == .repeatableRead)
        #expect(parse("sometimes") == nil)
        #expect(MariaDBConfiguration(config: ConfigReader(provider: InMemoryProvider(values: [:]))).transactionIsolation == nil)
    }
}
