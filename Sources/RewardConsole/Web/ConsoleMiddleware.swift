import HTTPTypes
import Hummingbird
import Logging

/// Every answer gets the headers that keep the page to itself (no framing, no script, nothing
/// cached, no referrer), and every error becomes an error page; unexpected ones are logged, and
/// their details stay in the log.
struct ConsoleMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let refusal as ConsoleRefusal {
            response = refusal.response
        } catch let error as any HTTPResponseError {
            response = ConsoleRefusal(error.status, error.status.reasonPhrase).response
        } catch {
            logger.error("console request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            response = ConsoleRefusal(.internalServerError, "the page could not be made; the console's log says why").response
        }
        response.headers[.contentSecurityPolicy] =
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.cacheControl] = "no-store"
        if let referrerPolicy = HTTPField.Name("Referrer-Policy") { response.headers[referrerPolicy] = "no-referrer" }
        return response
    }
}
