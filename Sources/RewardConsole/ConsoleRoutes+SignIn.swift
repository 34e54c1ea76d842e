import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Sign-in, sign-out, and the session and CSRF checks every other route goes through.
extension ConsoleRoutes {
    static let sessionCookie = "reward_console_session"
    static let signInCookie = "reward_console_signin"

    /// The signed-in operator, if the request carries a live session's cookie.
    func session(_ request: Request) -> OperatorSession? {
        sessions.find(request.cookies[Self.sessionCookie]?.value)
    }

    /// The session and the form of a POST, once both checks passed.
    /// - Throws: ``ConsoleRefusal``: 401 without a session, 403 without the session's CSRF token, 400 for a malformed form.
    func authorizedForm(_ request: Request) async throws -> (OperatorSession, FormBody) {
        guard let session = session(request) else { throw ConsoleRefusal(.unauthorized, "sign in first") }
        let form = try await readForm(request)
        guard session.accepts(csrf: form["csrf"]) else {
            throw ConsoleRefusal(.forbidden, "the form's CSRF token is missing or not this session's; reload the page")
        }
        return (session, form)
    }

    func signInForm(_ request: Request) -> Response {
        if session(request) != nil { return ConsoleResponse.redirect(to: "/") }
        return signInPage(message: nil, status: .ok)
    }

    func signIn(_ request: Request) async throws -> Response {
        let form = try await readForm(request)
        // Double-submitted: the value must come back both from our cookie and from our form.
        guard let cookie = request.cookies[Self.signInCookie]?.value, let csrf = form["csrf"],
              ConstantTime.equal(Array(cookie.utf8), Array(csrf.utf8))
        else { throw ConsoleRefusal(.forbidden, "the sign-in form expired or did not come from this console; open /signin again") }
        guard let name = configuration.operators.authenticate(name: form["operator"] ?? "", token: form["token"] ?? "") else {
            logger.warning("console sign-in refused")
            return signInPage(message: "unknown operator or wrong token", status: .unauthorized)
        }
        let session = sessions.open(for: name)
        logger.notice("operator signed in", metadata: ["operator": "\(name)"])
        var response = ConsoleResponse.redirect(to: "/")
        response.setCookie(Cookie(name: Self.sessionCookie, value: session.id,
                                  maxAge: Int(configuration.sessionLifetime.components.seconds), path: "/",
                                  secure: configuration.secureCookies, httpOnly: true, sameSite: .strict))
        response.setCookie(Cookie(name: Self.signInCookie, value: "", maxAge: 0, path: "/signin", httpOnly: true, sameSite: .strict))
        return response
    }

    func signOut(_ request: Request) async throws -> Response {
        let (session, _) = try await authorizedForm(request)
        sessions.close(session.id)
        logger.notice("operator signed out", metadata: ["operator": "\(session.operatorName)"])
        var response = ConsoleResponse.redirect(to: "/signin")
        response.setCookie(Cookie(name: Self.sessionCookie, value: "", maxAge: 0, path: "/", secure: configuration.secureCookies,
                                  httpOnly: true, sameSite: .strict))
        return response
    }

    /// A fresh sign-in form with a fresh double-submit token.
    private func signInPage(message: String?, status: HTTPResponse.Status) -> Response {
        let token = RandomToken.make()
        var response = ConsoleResponse.html(SignInPage(csrfToken: token, message: message).html, status: status)
        response.setCookie(Cookie(name: Self.signInCookie, value: token, maxAge: 600, path: "/signin",
                                  secure: configuration.secureCookies, httpOnly: true, sameSite: .strict))
        return response
    }

    private func readForm(_ request: Request) async throws -> FormBody {
        let body = try await request.body.collect(upTo: configuration.maximumFormBytes)
        do { return try FormBody(Array(buffer: body)) } catch { throw ConsoleRefusal(.badRequest, "the form could not be read") }
    }
}
