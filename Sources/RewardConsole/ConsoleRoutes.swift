import Foundation
import Hummingbird
import Logging
import RewardOps

/// The console's pages. Every page but sign-in needs a session: a GET without one is sent to
/// sign in, a POST without one is refused (401), and a POST whose CSRF token is not the
/// session's is refused (403) before it does anything.
struct ConsoleRoutes: Sendable {
    let configuration: ConsoleConfiguration
    let sources: ConsoleSources
    let sessions: SessionStore
    let logger: Logger

    func overview(_ request: Request) async throws -> Response {
        guard let session = session(request) else { return ConsoleResponse.redirect(to: "/signin") }
        let figures = await NightReader(sources: sources, configuration: configuration).read()
        let applied = request.uri.queryParameters["applied"].flatMap { Int64($0) }
        return ConsoleResponse.html(OverviewPage(figures: figures, session: session, applied: applied).html)
    }

    func deadLetter(_ request: Request, id: String?) async throws -> Response {
        guard let session = session(request) else { return ConsoleResponse.redirect(to: "/signin") }
        guard let id = id.flatMap(Int64.init), id > 0 else { throw ConsoleRefusal(.notFound, "no such dead letter") }
        var filter = DeadLetterFilter()
        filter.ids = [id]
        filter.state = nil
        guard let letter = try await DeadLetterStore(pool: sources.pool).list(filter).first else {
            throw ConsoleRefusal(.notFound, "no dead letter \(id)")
        }
        let decision = DeadLetterReplayer.decide(letter, keyRing: sources.keyRing, maximumReplays: configuration.maximumReplays)
        return ConsoleResponse.html(DeadLetterPage(letter: letter, decision: decision, maximumReplays: configuration.maximumReplays,
                                                   session: session).html)
    }
}
