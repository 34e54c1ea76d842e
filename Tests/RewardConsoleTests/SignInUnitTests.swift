import RewardCore
import Testing

@testable import RewardConsole

@Suite struct SignInUnitTests {
    let directory = try! OperatorDirectory(tokens: ["alice": "alice-token-0123456789", "bob": "bob-token-0123456789ab"])

    @Test func onlyTheOperatorsOwnTokenSignsIn() {
        #expect(directory.authenticate(name: "alice", token: "alice-token-0123456789") == "alice")
        #expect(directory.authenticate(name: "alice", token: "bob-token-0123456789ab") == nil)
        #expect(directory.authenticate(name: "alice", token: "alice-token-012345678") == nil)
        #expect(directory.authenticate(name: "mallory", token: "alice-token-0123456789") == nil)
        #expect(directory.authenticate(name: "", token: "") == nil)
    }

    @Test func shortTokensAndOddNamesAreRefusedAtStart() {
        #expect(throws: ConfigurationError.self) { try OperatorDirectory(tokens: ["alice": "short"]) }
        #expect(throws: ConfigurationError.self) { try OperatorDirectory(tokens: ["<alice>": "alice-token-0123456789"]) }
        #expect(throws: ConfigurationError.self) { try OperatorDirectory(tokens: [:]) }
    }

    @Test func sessionsExpireCloseAndAcceptOnlyTheirCSRFToken() async throws {
        let store = SessionStore(lifetime: .milliseconds(200))
        let session = store.open(for: "alice")
        #expect(session.id.count == 64 && session.csrfToken.count == 64 && session.id != session.csrfToken)
        #expect(store.find(session.id)?.operatorName == "alice")
        #expect(session.accepts(csrf: session.csrfToken))
        #expect(!session.accepts(csrf: nil))
        #expect(!session.accepts(csrf: session.id))
        store.close(session.id)
        #expect(store.find(session.id) == nil)
        let other = store.open(for: "bob")
        try await Task.sleep(for: .milliseconds(300))
        #expect(store.find(other.id) == nil)
    }

    @Test func theSessionTableIsBounded() {
        let store = SessionStore(lifetime: .seconds(60), maximum: 3)
        let first = store.open(for: "alice")
        for _ in 0..<3 { _ = store.open(for: "bob") }
        #expect(store.find(first.id) == nil)
    }

    @Test func formsParseAndMalformedOnesAreRefused() throws {
        let form = try FormBody(Array("operator=alice&token=a%2Bb+c&csrf=".utf8))
        #expect(form["operator"] == "alice" && form["token"] == "a+b c" && form["csrf"] == "")
        #expect(throws: FormBody.Malformed.self) { try FormBody(Array("a=%zz".utf8)) }
        #expect(throws: FormBody.Malformed.self) { try FormBody(Array("a=1&a=2".utf8)) }
        #expect(throws: FormBody.Malformed.self) { try FormBody([0x61, 0x3d, 0xff]) }
    }
}

extension SignInUnitTests {
    @Test func daemonsAreNamedHTTPMetricsURLs() throws {
        let daemons = try ConsoleConfiguration.daemons("consumer-A=http://127.0.0.1:9101/metrics, api = http://10.0.0.5:8080/metrics")
        #expect(daemons == [.init(name: "consumer-A", metricsURL: "http://127.0.0.1:9101/metrics"),
                            .init(name: "api", metricsURL: "http://10.0.0.5:8080/metrics")])
        #expect(throws: ConfigurationError.self) { try ConsoleConfiguration.daemons("no-url") }
        #expect(throws: ConfigurationError.self) { try ConsoleConfiguration.daemons("x=file:///etc/passwd") }
        #expect(throws: ConfigurationError.self) { try ConsoleConfiguration.daemons("=http://127.0.0.1:1/metrics") }
    }
}
