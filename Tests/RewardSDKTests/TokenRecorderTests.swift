import Foundation
import MariaDB
import MetricsTestKit
import RewardCore
import RewardOps
@testable import RewardSDK
import RewardTestKit
import Testing

extension SDKIntegrationTests {
    @Suite("Token recording in reward_tokens")
    struct TokenRecorderTests {
        static func migrate(_ configuration: MariaDBConfiguration) async throws {
            let pool = MariaDBPool(configuration: configuration, logger: TestMariaDB.quietLogger)
            let files = try MigrationFile.load(directory: "\(TestEnvironment.repositoryRoot)/migrations")
            _ = try await MigrationRunner(pool: pool, logger: TestMariaDB.quietLogger).migrate(files)
            await pool.shutdown()
        }

        static func rows(_ configuration: MariaDBConfiguration) async throws -> [MariaDBRow] {
            let pool = MariaDBPool(configuration: configuration, logger: TestMariaDB.quietLogger)
            let rows = try await pool.query("""
                SELECT user_id, order_id, token, activity_id, scene_id, reward_type, amount, issued_at, expires_at, recorded_by
                FROM reward_tokens
                """)
            await pool.shutdown()
            return rows
        }

        @Test("Tokens land in reward_tokens per user, in far fewer INSERTs than tokens")
        func batched() async throws {
            try await TestMariaDB.withDatabase(prefix: "sdk_tokens") { database in
                try await Self.migrate(database)
                let bed = try SDKTestBed(name: "recorder")
                var configuration = bed.configuration()
                configuration.tokenRecording = .init(database: database)
                let metrics = TestMetrics()
                let client = try await bed.makeClient(configuration, metrics: metrics)
                let count = 3_000
                let tokens = try await grantConcurrently(client, count: count, tasks: 100, prefix: "rec")
                await client.shutdown()

                let statistics = try #require(client.tokenRecorderStatistics)
                #expect(statistics.rowsWritten == count)
                #expect(statistics.rowsDropped == 0 && statistics.rowsQueued == 0)
                #expect(statistics.insertStatements < count / 8, "\(statistics.insertStatements) INSERTs for \(count) tokens")
                #expect(metrics.counterTotal(label: "reward_sdk_tokens_recorded_total") == Int64(count))

                let rows = try await Self.rows(database)
                #expect(rows.count == count)
                for row in rows {
                    let orderID = try row.decode("order_id", as: String.self)
                    guard let n = Int(orderID.dropFirst(4)), let token = tokens[n] else {
                        Issue.record("unexpected order \(orderID)")
                        continue
                    }
                    let grant = SampleGrant(n, prefix: "rec")
                    #expect(try row.decode("user_id", as: String.self) == grant.user.id)
                    #expect(try row.decode("token", as: String.self) == token.encoded)
                    #expect(try row.decode("reward_type", as: String.self) == grant.bonus.rewardType)
                    #expect(try row.decode("amount", as: Int64.self) == grant.bonus.amount)
                    #expect(try row.decode("recorded_by", as: String.self) == "sdk")
                    #expect(try row.decode("issued_at", as: Date.self).timeIntervalSince1970 == Double(token.issuedAt))
                    #expect(try row.decode("expires_at", as: Date.self).timeIntervalSince1970 == Double(token.expiresAt))
                }
            }
        }

        @Test("Shutdown writes the tokens still queued")
        func shutdownFlushes() async throws {
            try await TestMariaDB.withDatabase(prefix: "sdk_flush") { database in
                try await Self.migrate(database)
                let bed = try SDKTestBed(name: "flush")
                var configuration = bed.configuration()
                var recording = RewardClientConfiguration.TokenRecordingOptions(database: database)
                recording.batchSize = 4_096
                recording.flushInterval = .seconds(60)  // nothing is written before shutdown
                configuration.tokenRecording = recording
                let client = try await bed.makeClient(configuration)
                _ = try await grantConcurrently(client, count: 100, tasks: 10, prefix: "flush")
                try await Task.sleep(for: .milliseconds(200))
                #expect(try await Self.rows(database).isEmpty, "still queued before shutdown")
                #expect(client.tokenRecorderStatistics?.rowsQueued == 100)
                try await withDeadline(.seconds(20), "shutdown") { await client.shutdown() }
                #expect(try await Self.rows(database).count == 100)
                #expect(client.tokenRecorderStatistics?.insertStatements ?? 0 <= 8)
            }
        }
    }
}
