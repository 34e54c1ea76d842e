import Configuration
import MariaDB
import RewardTestKit
import Testing

/// TLS against a private `mariadbd` serving certificates that openssl makes for the test.
@Suite(.serialized) struct TLSTests {
    @Test("TLS with the right CA connects encrypted; the wrong CA, the wrong name or no TLS at the server is refused")
    func verifiedTLS() async throws {
        let certificates = try await TestCertificates.make()
        let server = try MariaDBServerProcess(extraArguments: certificates.mariadbServerArguments)
        do {
            try await server.start()
            try await exercise(server.configuration, certificates)
            await server.destroy()
            certificates.destroy()
        } catch {
            await server.destroy()
            certificates.destroy()
            throw error
        }
    }

    private func exercise(_ plain: MariaDBConfiguration, _ certificates: TestCertificates) async throws {
        var verified = plain
        verified.tls = .init(certificateAuthorityFile: certificates.caFile)
        let connection = try await MariaDBConnection.connect(configuration: verified, logger: TestMariaDB.quietLogger)
        let rows = try await connection.query("SHOW SESSION STATUS LIKE 'Ssl_version'")
        await connection.close()
        #expect(try rows.first?.decode("Value", as: String.self).hasPrefix("TLS") == true)

        // A client that trusts another CA must not talk to this server.
        var rogue = plain
        rogue.tls = .init(certificateAuthorityFile: certificates.rogueCAFile)
        try await expectTLSRefused(rogue, mentioning: "tls.ca")

        // The certificate names 127.0.0.1 only; reaching the same server as "localhost" fails the name check.
        var misnamed = verified
        misnamed.host = "localhost"
        try await expectTLSRefused(misnamed, mentioning: "localhost")

        // Verification off still encrypts (the name no longer matters).
        misnamed.tls?.verifyServerCertificate = false
        let unverified = try await MariaDBConnection.connect(configuration: misnamed, logger: TestMariaDB.quietLogger)
        #expect(try await unverified.query("SHOW SESSION STATUS LIKE 'Ssl_version'").first?.decode("Value", as: String.self).isEmpty == false)
        await unverified.close()

        try await userRequirements(plain, verified, certificates)
    }

    /// The server's side: a user created REQUIRE SSL cannot log in in plaintext, one REQUIRE X509
    /// only with the client certificate.
    private func userRequirements(_ plain: MariaDBConfiguration, _ verified: MariaDBConfiguration,
                                  _ certificates: TestCertificates) async throws {
        let admin = try await MariaDBConnection.connect(configuration: plain, logger: TestMariaDB.quietLogger)
        try await admin.executeScript("""
            CREATE USER 'tls_only'@'127.0.0.1' IDENTIFIED BY 'pw' REQUIRE SSL;
            CREATE USER 'cert_only'@'127.0.0.1' IDENTIFIED BY 'pw' REQUIRE X509;
            """)
        await admin.close()

        func as_(_ user: String, from base: MariaDBConfiguration) -> MariaDBConfiguration {
            var configuration = base
            configuration.user = user
            configuration.password = "pw"
            return configuration
        }
        await expectRefused(as_("tls_only", from: plain), code: .accessDenied)
        let tlsUser = try await MariaDBConnection.connect(configuration: as_("tls_only", from: verified), logger: TestMariaDB.quietLogger)
        await tlsUser.close()

        await expectRefused(as_("cert_only", from: verified), code: .accessDenied)
        var withCertificate = as_("cert_only", from: verified)
        withCertificate.tls?.certificateFile = certificates.clientCertificateFile
        withCertificate.tls?.keyFile = certificates.clientKeyFile
        let certUser = try await MariaDBConnection.connect(configuration: withCertificate, logger: TestMariaDB.quietLogger)
        await certUser.close()
    }

    @Test("Asking for TLS from a server that has none fails; it never falls back to plaintext")
    func noSilentFallback() async throws {
        let certificates = try await TestCertificates.make()
        defer { certificates.destroy() }
        var configuration = try TestMariaDB.serverConfiguration()
        configuration.unixSocket = nil
        configuration.tls = .init(certificateAuthorityFile: certificates.caFile)
        try await expectTLSRefused(configuration, mentioning: "")
        // Also when the certificate is not verified: encryption was asked for, so it is required.
        configuration.tls?.verifyServerCertificate = false
        try await expectTLSRefused(configuration, mentioning: "")
    }

    @Test("Incomplete TLS settings are refused by name before any connection is tried")
    func incompleteSettings() async throws {
        var configuration = MariaDBConfiguration(user: "nobody")
        configuration.port = 1
        configuration.tls = .init(certificateAuthorityFile: nil)
        try await expectTLSRefused(configuration, mentioning: "tls.ca")
        configuration.tls = .init(certificateAuthorityFile: "/nonexistent/ca.pem")
        try await expectTLSRefused(configuration, mentioning: "/nonexistent/ca.pem")
        configuration.tls?.certificateAuthorityFile = "/etc/hostname"
        configuration.tls?.keyFile = "/etc/hostname"
        try await expectTLSRefused(configuration, mentioning: "tls.cert and tls.key")
    }

    @Test("db.tls.* settings turn TLS on; none leaves it off")
    func readFromSettings() {
        func read(_ values: [AbsoluteConfigKey: ConfigValue]) -> MariaDBConfiguration.TLS? {
            MariaDBConfiguration(config: ConfigReader(provider: InMemoryProvider(values: values))).tls
        }
        func text(_ value: String) -> ConfigValue { ConfigValue(.string(value), isSecret: false) }
        #expect(read([:]) == nil)
        let tls = read(["tls.ca": text("/etc/reward/db-ca.pem"), "tls.cert": text("/c.pem"), "tls.key": text("/k.pem")])
        #expect(tls?.certificateAuthorityFile == "/etc/reward/db-ca.pem")
        #expect(tls?.certificateFile == "/c.pem" && tls?.keyFile == "/k.pem")
        #expect(tls?.verifyServerCertificate == true)
        let unverified = read(["tls.enabled": ConfigValue(.bool(true), isSecret: false),
                               "tls.verifyServerCertificate": ConfigValue(.bool(false), isSecret: false)])
        #expect(unverified?.verifyServerCertificate == false && unverified?.certificateAuthorityFile == nil)
    }

    private func expectTLSRefused(_ configuration: MariaDBConfiguration, mentioning text: String) async throws {
        do {
            let connection = try await MariaDBConnection.connect(configuration: configuration, logger: TestMariaDB.quietLogger)
            await connection.close()
            Issue.record("connected although TLS should have been refused: \(configuration)")
        } catch let error as MariaDBError {
            #expect(error.code == .tlsFailed, "\(error)")
            #expect(text.isEmpty || error.message.contains(text), "\(error)")
        }
    }

    private func expectRefused(_ configuration: MariaDBConfiguration, code: MariaDBError.Code) async {
        do {
            let connection = try await MariaDBConnection.connect(configuration: configuration, logger: TestMariaDB.quietLogger)
            await connection.close()
            Issue.record("\(configuration.user) connected although it should have been refused")
        } catch let error as MariaDBError {
            #expect(error.code == code, "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
