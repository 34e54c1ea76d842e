public import Foundation

/// Throwaway certificates for TLS tests, made by Debian's `openssl` in a temporary folder.
///
/// A CA signs a server certificate for `IP:127.0.0.1` only (so connecting by the name `localhost`
/// fails the name check) and a client certificate; a second, unrelated CA ("rogue") signs nothing
/// and stands for a client that trusts the wrong authority. EC P-256 keys: quick to make.
public struct TestCertificates: Sendable {
    public let directory: URL
    public var caFile: String { path("ca.pem") }
    public var rogueCAFile: String { path("rogue-ca.pem") }
    public var serverCertificateFile: String { path("server.pem") }
    public var serverKeyFile: String { path("server.key") }
    public var clientCertificateFile: String { path("client.pem") }
    public var clientKeyFile: String { path("client.key") }

    /// `mariadbd` flags that serve TLS with the server certificate.
    public var mariadbServerArguments: [String] {
        ["--ssl-ca=\(caFile)", "--ssl-cert=\(serverCertificateFile)", "--ssl-key=\(serverKeyFile)"]
    }

    /// Makes the files.
    /// - Throws: ``TestEnvironmentError`` with openssl's own words when a step fails.
    public static func make() async throws -> TestCertificates {
        let directory = URL(fileURLWithPath: "/tmp", isDirectory: true)
            .appendingPathComponent("certs-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificates = TestCertificates(directory: directory)
        try await certificates.makeAuthority("ca", name: "reward-test-ca")
        try await certificates.makeAuthority("rogue-ca", name: "reward-rogue-ca")
        try await certificates.makeSigned("server", name: "reward-test-db", subjectAltName: "IP:127.0.0.1")
        try await certificates.makeSigned("client", name: "reward-test-client", subjectAltName: nil)
        return certificates
    }

    /// Deletes the folder.
    public func destroy() {
        try? FileManager.default.removeItem(at: directory)
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func makeAuthority(_ base: String, name: String) async throws {
        try await openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                           "-keyout", path("\(base).key"), "-out", path("\(base).pem"), "-days", "2", "-subj", "/CN=\(name)"])
    }

    private func makeSigned(_ base: String, name: String, subjectAltName: String?) async throws {
        try await openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                           "-keyout", path("\(base).key"), "-out", path("\(base).csr"), "-subj", "/CN=\(name)"])
        var arguments = ["x509", "-req", "-in", path("\(base).csr"), "-CA", caFile, "-CAkey", path("ca.key"),
                         "-CAcreateserial", "-out", path("\(base).pem"), "-days", "2"]
        if let subjectAltName {
            let extensions = path("\(base).ext")
            try "subjectAltName=\(subjectAltName)\n".write(toFile: extensions, atomically: true, encoding: .utf8)
            arguments += ["-extfile", extensions]
        }
        try await openssl(arguments)
    }

    private func openssl(_ arguments: [String]) async throws {
        let result = try await runExecutable("/usr/bin/openssl", arguments)
        guard result.status == 0 else {
            throw TestEnvironmentError("openssl \(arguments.prefix(2).joined(separator: " ")) failed (install openssl; ops/bootstrap does): \(result.errorOutput)")
        }
    }
}
