import Foundation
import MariaDB
import RewardTestKit
import Testing

/// Every supported type goes through prepared-statement binds and comes back identical.
@Suite struct RoundTripTests {
    static let schema = """
        CREATE TABLE v (
            id INT PRIMARY KEY,
            i BIGINT NULL, u BIGINT UNSIGNED NULL, i32 INT NULL, u32 INT UNSIGNED NULL,
            flag TINYINT(1) NULL, d DOUBLE NULL, amount DECIMAL(20,4) NULL,
            s VARCHAR(255) NULL, t MEDIUMTEXT NULL, b VARBINARY(255) NULL, bl MEDIUMBLOB NULL,
            dt DATETIME(6) NULL, ts TIMESTAMP(6) NULL DEFAULT NULL
        )
        """

    @Test func bindsRoundTripEveryType() async throws {
        try await withTestPool("roundtrip") { pool, _ in
            try await pool.executeScript(Self.schema)
            let longText = String(repeating: "长文本 long text ", count: 6_000)  // ~114 KiB of UTF-8
            #expect(longText.utf8.count > 64 * 1024)
            let binary: [UInt8] = [0x00, 0xFF, 0x00, 0x7F, 0x80, 0x00]
            let longBinary = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let date1 = Date(timeIntervalSince1970: 1_709_251_199.999999)  // 2024-02-29T23:59:59.999999Z
            let date2 = Date(timeIntervalSince1970: 946_684_800.000001)  // 2000-01-01T00:00:00.000001Z
            let text = "红包 🧧 Ünïcödé"

            try await pool.execute(
                """
                INSERT INTO v VALUES (1, \(Int64.min), \(UInt64.max), \(Int32.min), \(UInt32.max), \(true), \(-0.125),
                \("12345678901234.5678"), \(""), \(longText), \(binary), \(Data(longBinary)), \(date1), \(date2))
                """)
            try await pool.execute(
                """
                INSERT INTO v VALUES (2, \(Int64.max), \(UInt64(0)), \(Int32.max), \(UInt32(0)), \(false), \(1e300),
                \("-0.0001"), \(text), \(text), \([UInt8]()), \(binary), \(date2), \(date1))
                """)
            let none: Int64? = nil
            try await pool.execute(
                "INSERT INTO v (id, i, u, s, b, dt) VALUES (3, \(none), \(nil as UInt64?), \(nil as String?), \(nil as [UInt8]?), \(nil as Date?))")

            let rows = try await pool.query("SELECT * FROM v ORDER BY id")
            try #require(rows.count == 3)
            #expect(rows[0].columnNames.first == "id")

            let r1 = rows[0]
            #expect(try r1.decode("i", as: Int64.self) == .min)
            #expect(try r1.decode("u", as: UInt64.self) == .max)
            #expect(try r1.decode("i32", as: Int32.self) == .min)
            #expect(try r1.decode("u32", as: UInt32.self) == .max)
            #expect(try r1.decode("flag", as: Bool.self) == true)
            #expect(try r1.decode("flag", as: Int.self) == 1)
            #expect(try r1.decode("d", as: Double.self) == -0.125)
            #expect(try r1.decode("amount", as: String.self) == "12345678901234.5678")
            #expect(try r1.decode("s", as: String.self) == "")
            #expect(try r1.decode("t", as: String.self) == longText)
            #expect(try r1.decode("b", as: [UInt8].self) == binary)
            #expect(try r1.decode("bl", as: Data.self) == Data(longBinary))
            #expect(try r1.decode("dt", as: Date.self) == date1)
            #expect(try r1.decode("ts", as: Date.self) == date2)

            let r2 = rows[1]
            #expect(try r2.decode("i", as: Int64.self) == .max)
            #expect(try r2.decode("u", as: UInt64.self) == 0)
            #expect(try r2.decode("i32", as: Int32.self) == .max)
            #expect(try r2.decode("flag", as: Bool.self) == false)
            #expect(try r2.decode("d", as: Double.self) == 1e300)
            #expect(try r2.decode("amount", as: String.self) == "-0.0001")
            #expect(try r2.decode("s", as: String.self) == text)
            #expect(try r2.decode("t", as: String.self) == text)
            #expect(try r2.decode("b", as: [UInt8].self) == [])
            #expect(try r2.decode("bl", as: [UInt8].self) == binary)
            #expect(try r2.decode("dt", as: Date.self) == date2)
            #expect(try r2.decode("ts", as: Date.self) == date1)

            let r3 = rows[2]
            for column in ["i", "u", "i32", "u32", "flag", "d", "amount", "s", "t", "b", "bl", "dt", "ts"] {
                #expect(r3.values[r3.columnNames.firstIndex(of: column)!] == .null, "\(column)")
            }
            #expect(try r3.decode("i", as: Int64?.self) == nil)
            #expect(try r3.decode("s", as: String?.self) == nil)
            #expect(try r3.decode("dt", as: Date?.self) == nil)
            #expect(try r3.decode(0, as: Int.self) == 3)

            // The server sees the same instant in UTC, and text compares byte-exactly.
            let check = try await pool.query(
                "SELECT DATE_FORMAT(dt, '%Y-%m-%d %H:%i:%s.%f') AS f, s = \(text) AS same, LENGTH(b) AS n FROM v WHERE id = 2")
            #expect(try check[0].decode("f", as: String.self) == "2000-01-01 00:00:00.000001")
            #expect(try check[0].decode("same", as: Bool.self))
            #expect(try check[0].decode("n", as: Int.self) == 0)
        }
    }

    @Test func nullIntoNonOptionalIsAnErrorNotACrash() async throws {
        try await withTestPool("nulls") { pool, _ in
            let rows = try await pool.query("SELECT NULL AS n, 'text' AS s, 18446744073709551615 AS big")
            let row = try #require(rows.first)
            let null = #expect(throws: MariaDBError.self) { try row.decode("n", as: Int.self) }
            #expect(null?.code == .unexpectedNull)
            #expect(null?.description.contains("'n'") == true)
            let mismatch = #expect(throws: MariaDBError.self) { try row.decode("s", as: Int.self) }
            #expect(mismatch?.code == .decodingFailed)
            let range = #expect(throws: MariaDBError.self) { try row.decode("big", as: Int64.self) }
            #expect(range?.code == .decodingFailed)
            #expect(try row.decode("big", as: UInt64.self) == .max)
            let unknown = #expect(throws: MariaDBError.self) { try row.decode("nope", as: Int.self) }
            #expect(unknown?.code == .decodingFailed)
            let index = #expect(throws: MariaDBError.self) { try row.decode(7, as: Int.self) }
            #expect(index?.code == .decodingFailed)
            #expect(try row.decode("n", as: Int?.self) == nil)
        }
    }

    @Test func statementCacheEvictsAndReuses() async throws {
        try await withTestPool("stmtcache", maxConnections: 1) { pool, _ in
            try await pool.withConnection { connection in
                for i in 0..<200 {  // more distinct statements than the cache holds (128)
                    let rows = try await connection.query("SELECT \(unescaped: String(i)) + \(1) AS n")
                    #expect(try rows[0].decode("n", as: Int.self) == i + 1)
                }
                let again = try await connection.query("SELECT \(unescaped: "0") + \(41) AS n")
                #expect(try again[0].decode("n", as: Int.self) == 41)
                let mismatch = await #expect(throws: MariaDBError.self) {
                    try await connection.query(SQLQuery(sql: "SELECT ? + ?", binds: [.int(1)]))
                }
                #expect(mismatch?.code == .other)
                try await connection.ping()
            }
        }
    }
}
