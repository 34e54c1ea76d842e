import Hummingbird
import Logging
import RewardCore

/// A refusal: an HTTP status and the JSON body `{"code", "message"}`. `not_durable` adds the
/// grant's `token`: it may still land, and a retry with the same order id is safe.
struct APIFailure: HTTPResponseError {
    struct Body: Encodable {
        var code: String
        var message: String
        var token: String?
    }

    var status: HTTPResponse.Status
    var body: Body

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String, token: String? = nil) {
        self.status = status
        self.body = Body(code: code, message: message, token: token)
    }

    /// The SDK's refusals. The codes are stable, so callers switch on them; messages are for people.
    init(_ error: RewardError) {
        let status: HTTPResponse.Status = switch error.code {
        // The activity's reward type is switched off (degradation): a deliberate, friendly refusal.
        case .rewardTypeDisabled: .forbidden
        // Worth retrying soon with the same order id: nothing is lost by it.
        case .notDurable, .notReady, .shuttingDown: .serviceUnavailable
        // Every cluster refused the event for good: nothing will be credited and a retry will not
        // help, but the caller's input passed every check, so it is not a 4xx.
        case .deliveryRefused: .badGateway
        // Everything else names an invalid field (`invalid_user_id`, `amount_out_of_range`, …).
        default: .badRequest
        }
        self.init(status, error.code.rawValue, error.message, token: error.code == .notDurable ? error.token?.encoded : nil)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try context.responseEncoder.encode(body, from: request, context: context)
        response.status = status
        if status == .serviceUnavailable { response.headers[.retryAfter] = "1" }
        return response
    }
}

/// Every answer in one shape, the framework's own (404, 413) included; anything unexpected is a
/// 500 without details, logged here.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let failure as APIFailure {
            return try failure.response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            let code = error.status == .notFound ? "not_found" : "http_\(error.status.code)"
            return try APIFailure(error.status, code, error.status.reasonPhrase).response(from: request, context: context)
        } catch {
            logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return try APIFailure(.internalServerError, "internal", "the request failed; try again").response(from: request, context: context)
        }
    }
}
