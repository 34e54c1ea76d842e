import Foundation
@testable import MariaDB
import Testing

/// Tests that need no server.
@Suite struct UnitTests {
    @Test func interpolationBecomesBinds() {
        let id: Int64 = 42
        let user = "o'brien; DROP TABLE x"
        let missing: String? = nil
        let query: SQLQuery = "SELECT a FROM \(unescaped: "t") WHERE id = \(id) AND u = \(user) AND n <=> \(missing)"
        #expect(query.sql == "SELECT a FROM t WHERE id = ? AND u = ? AND n <=> ?")
        #expect(query.binds == [.int(42), .string(user), .null])
        #expect(!query.description.contains("brien"))
    }

    @Test func incrementalBatchInsert() {
        var query: SQLQuery = "INSERT INTO \(identifier: "we`ird") (a, b) VALUES "
        for i in 0..<3 {
            if i > 0 { query.append(sql: ", ") }
            query.append("(\(i), \("v\(i)"))")
        }
        query.append(sql: " ON DUPLICATE KEY UPDATE b = ")
        query.append(bind: UInt64.max)
        #expect(query.sql == "INSERT INTO `we``ird` (a, b) VALUES (?, ?), (?, ?), (?, ?) ON DUPLICATE KEY UPDATE b = ?")
        #expect(query.binds == [.int(0), .string("v0"), .int(1), .string("v1"), .int(2), .string("v2"), .uint(.max)])
    }

    @Test func serverErrorNumbersMapToCodes() {
        let cases: [(UInt32, MariaDBError.Code)] = [
            (1062, .duplicateKey), (1213, .deadlock), (1205, .lockWaitTimeout), (2013, .lostConnection),
            (2055, .lostConnection), (2006, .serverGone), (2002, .connectionFailed), (2003, .connectionFailed),
            (1045, .accessDenied), (4025, .checkViolation), (1064, .syntax), (1146, .other),
        ]
        for (number, code) in cases {
            let error = MariaDBError.server(number: number, sqlState: "HY000", message: "x")
            #expect(error.code == code, "\(number)")
            #expect(error.serverErrorNumber == number)
        }
        #expect(MariaDBError(.deadlock, message: "").isRetriable)
        #expect(MariaDBError(.lockWaitTimeout, message: "").isRetriable)
        #expect(MariaDBError(.lostConnection, message: "").isRetriable)
        #expect(MariaDBError(.serverGone, message: "").isRetriable)
        #expect(!MariaDBError(.commitOutcomeUnknown, message: "").isRetriable)
        #expect(!MariaDBError(.duplicateKey, message: "").isRetriable)
    }

    @Test func serverMessagesLoseQuotedValues() {
        let duplicate = MariaDBError.server(
            number: 1062, sqlState: "23000", message: "Duplicate entry 'alice@example.com' for key 'email'")
        #expect(duplicate.message == "Duplicate entry '…' for key 'email'")
        #expect(!duplicate.description.contains("alice"))
        let incorrect = MariaDBError.server(
            number: 1366, sqlState: "22007", message: "Incorrect integer value: 'secret' for column `db`.`t`.`n` at row 1")
        #expect(!incorrect.description.contains("secret"))
        #expect(incorrect.description.contains("`n`"))
    }

    @Test func configurationDescriptionHidesPassword() {
        var configuration = MariaDBConfiguration(user: "app", password: "hunter2", database: "rewards")
        configuration.port = 3307
        #expect(!configuration.description.contains("hunter2"))
        #expect(!"\(configuration)".contains("hunter2"))
        #expect(configuration.description.contains("app@127.0.0.1:3307/rewards"))
        #expect(configuration.pool.maxConnections == 8)
        #expect(configuration.sessionTimeZone == "+00:00")
    }

    @Test func civilTimeRoundTripsMicroseconds() throws {
        // Within 1865...2137 a Date holds whole microseconds exactly.
        let samples: [Int64] = [0, 1, -1, 951_868_799_999_999, 1_709_251_199_999_999, -3_155_759_999_999_999, 4_102_444_799_999_999]
        for micros in samples {
            let date = CivilTime.date(microseconds: micros)
            let time = try #require(CivilTime.mysqlTime(from: date))
            let back = try #require(CivilTime.date(from: time))
            #expect(CivilTime.microseconds(of: back) == micros)
        }
        let leap = try #require(CivilTime.mysqlTime(from: CivilTime.date(microseconds: 951_868_799_999_999)))
        #expect([leap.year, leap.month, leap.day, leap.hour, leap.minute, leap.second] == [2000, 2, 29, 23, 59, 59])
        #expect(leap.second_part == 999_999)
        // The ends of MariaDB's DATETIME range still map to the right calendar day.
        let first = try #require(CivilTime.mysqlTime(from: CivilTime.date(microseconds: -30_610_224_000_000_000)))
        #expect([first.year, first.month, first.day, first.hour] == [1000, 1, 1, 0])
        let last = try #require(CivilTime.mysqlTime(from: CivilTime.date(microseconds: 253_402_300_799_000_000)))
        #expect([last.year, last.month, last.day, last.hour, last.minute] == [9999, 12, 31, 23, 59])
        #expect(CivilTime.mysqlTime(from: Date(timeIntervalSince1970: 1e12)) == nil)  // year ~33658
    }

    @Test func decodingChecksRangeAndNull() {
        #expect(throws: MariaDBError.self) { try Int32(mariaDBValue: .int(Int64(Int32.max) + 1)) }
        #expect(throws: MariaDBError.self) { try Int64(mariaDBValue: .uint(.max)) }
        #expect((try? UInt64(mariaDBValue: .uint(.max))) == .max)
        #expect((try? Int?(mariaDBValue: .null)) == .some(nil))
        do {
            _ = try String(mariaDBValue: .null)
            Issue.record("NULL decoded as String")
        } catch let error as MariaDBError {
            #expect(error.code == .unexpectedNull)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
