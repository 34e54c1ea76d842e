import MariaDB
import RewardTestKit
import Testing

/// The test kit must refuse to run without ops/test's environment rather than skip.
@Suite struct TestKitTests {
    @Test func missingEnvironmentSaysHowToRunTheTests() {
        let error = #expect(throws: TestEnvironmentError.self) {
            try TestMariaDB.serverConfiguration(environment: [:])
        }
        #expect(error?.description.contains("run the tests through ops/test (it starts MariaDB and sets REWARD_TEST_MARIADB_*)") == true)
        #expect(throws: TestEnvironmentError.self) {
            try TestMariaDB.serverConfiguration(environment: ["REWARD_TEST_MARIADB_HOST": "db", "REWARD_TEST_MARIADB_PORT": "x"])
        }
    }

    @Test func environmentBecomesConfiguration() throws {
        let tcp = try TestMariaDB.serverConfiguration(environment: [
            "REWARD_TEST_MARIADB_HOST": "10.0.0.5", "REWARD_TEST_MARIADB_PORT": "3307",
            "REWARD_TEST_MARIADB_PASSWORD": "pw",
        ])
        #expect(tcp.host == "10.0.0.5")
        #expect(tcp.port == 3307)
        #expect(tcp.user == "root")
        #expect(tcp.password == "pw")
        #expect(tcp.unixSocket == nil)
        let socket = try TestMariaDB.serverConfiguration(environment: [
            "REWARD_TEST_MARIADB_SOCKET": "/tmp/x.sock", "REWARD_TEST_MARIADB_USER": "app",
        ])
        #expect(socket.unixSocket == "/tmp/x.sock")
        #expect(socket.user == "app")
    }

    @Test func withDatabaseDropsEvenWhenTheBodyThrows() async throws {
        var name: String?
        await #expect(throws: Boom.self) {
            try await TestMariaDB.withDatabase(prefix: "dropcheck") { configuration in
                name = configuration.database
                throw Boom()
            }
        }
        let database = try #require(name)
        #expect(database.hasPrefix("t_dropcheck_"))
        let admin = MariaDBPool(configuration: try TestMariaDB.serverConfiguration(), logger: TestMariaDB.quietLogger)
        let rows = try await admin.query("SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = \(database)")
        await admin.shutdown()
        #expect(try rows[0].decode("n", as: Int.self) == 0)
    }
}
