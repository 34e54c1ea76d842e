import Foundation
import Logging
import MariaDB
import RewardConsole
import RewardCore
import RewardTestKit
import ServiceLifecycle
import Testing

/// A `reward-console` server on loopback over a migrated test database, and a raw HTTP client
/// that carries cookies and forms as a browser would.
struct ConsoleHarness {
    static let operators = ["alice": "alice-token-0123456789", "bob": "bob-token-0123456789ab"]

    let fixture: SettlementFixture
    let port: Int

    static func with(_ prefix: String, _ body: (ConsoleHarness) async throws -> Void) async throws {
        try await SettlementFixture.with(prefix) { fixture in
            var configuration = ConsoleConfiguration(operators: try OperatorDirectory(tokens: operators))
            configuration.port = 0
            let root = TestEnvironment.repositoryRoot
            let sources = ConsoleSources(
                pool: fixture.pool, clustersPath: "/nonexistent/kafka-clusters.json", topicsDirectory: "\(root)/topics",
                catalog: fixture.catalog, rateLimitsPath: "\(root)/ops/config/rate-limits.json", keyRing: TestGrants.keyRing,
                logger: fixture.logger)
            let bound = TestBox<Int?>(nil)
            let server = ConsoleServer(configuration: configuration, sources: sources, logger: fixture.logger) { port in
                bound.withLock { $0 = port }
            }
            let quiet = Logger(label: "console-test") { _ in SwiftLogNoOpLogHandler() }
            let group = ServiceGroup(services: [server], logger: quiet)
            let running = Task { try await group.run() }
            do {
                try await eventually(.seconds(10), "console listening") { bound.value != nil }
                try await body(ConsoleHarness(fixture: fixture, port: bound.value ?? 0))
            } catch {
                await group.triggerGracefulShutdown()
                _ = await running.result
                throw error
            }
            await group.triggerGracefulShutdown()
            _ = await running.result
        }
    }

    struct Answer {
        var status: Int
        var text: String
        var location: String?
        var setCookies: [String]

        /// The value a `Set-Cookie` gives `name`, if any.
        func cookie(_ name: String) -> String? {
            setCookies.compactMap { line -> String? in
                guard line.hasPrefix("\(name)=") else { return nil }
                return String(line.dropFirst(name.count + 1).prefix { $0 != ";" })
            }.last
        }
    }

    func send(_ method: String, _ path: String, cookies: [String: String] = [:], form: [String: String]? = nil) async throws -> Answer {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if !cookies.isEmpty { head += "Cookie: " + cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") + "\r\n" }
        var body = ""
        if let form {
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            body = form.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
            head += "Content-Type: application/x-www-form-urlencoded\r\n"
        }
        head += "Content-Length: \(body.utf8.count)\r\n\r\n"
        let answer = try await LoopbackHTTP.exchange(port: port, Array((head + body).utf8))
        return Answer(status: answer.status, text: String(decoding: answer.body, as: UTF8.self), location: answer.headers["location"],
                      setCookies: answer.values("set-cookie"))
    }

    /// Signs in through the form and returns the session cookie and the session's CSRF token.
    func signIn(_ name: String = "alice") async throws -> (cookies: [String: String], csrf: String) {
        let form = try await send("GET", "/signin")
        let signInToken = try #require(form.cookie("reward_console_signin"))
        let answer = try await send("POST", "/signin", cookies: ["reward_console_signin": signInToken],
                                    form: ["operator": name, "token": Self.operators[name] ?? "", "csrf": signInToken])
        let session = try #require(answer.cookie("reward_console_session"))
        let cookies = ["reward_console_session": session]
        let page = try await send("GET", "/", cookies: cookies)
        return (cookies, try #require(Self.csrf(in: page.text)))
    }

    /// The CSRF token of the first form on a page.
    static func csrf(in page: String) -> String? {
        guard let range = page.range(of: #"name="csrf" value="[0-9a-f]{64}""#, options: .regularExpression) else { return nil }
        return String(page[range].dropLast().suffix(64))
    }
}
