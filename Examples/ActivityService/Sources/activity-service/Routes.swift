import Foundation
import Hummingbird
import RewardCore
import RewardSDK

/// The endpoints' work: read and check the request, grant, shape the answer. Every refusal is an
/// ``APIFailure``; the SDK checks each grant field itself (one code per field), so this only
/// checks what the SDK cannot know: the shape of the body and this activity's own rules.
struct Routes: Sendable {
    let client: RewardClient
    let rain: RedEnvelopeRain
    /// What one caught envelope is worth, in fen. Decided here, never taken from the caller.
    var envelopeAmount: Int64 = 88
    /// A grant's body is small (extensions take at most 2 KiB): anything larger is refused unread.
    static let maximumBodyBytes = 8 * 1024

    /// `POST /rain/{user}` `{"round": 3, "drop": 17, "deviceID": "…", "appID": "…"}`.
    struct Catch: Decodable {
        var round: Int
        var drop: Int
        var deviceID: String
        var appID: String
    }

    func rain(_ request: Request, user: String) async throws(APIFailure) -> GrantAnswer {
        // A real service takes the user from its session, not from the path it is asked for.
        // Checked here because the facade would report a bad one as a bad order id.
        guard GrantValidation.isIdentifier(user) else {
            throw APIFailure(.badRequest, "invalid_user_id", "the user id is 1-64 letters, digits, '-', '_' or '.'")
        }
        let body: Catch = try await Self.decode(request)
        // This activity's rules: 100 rounds of up to 1,000 drops (the facade only needs them ≥ 0).
        guard (0..<100).contains(body.round) else { throw APIFailure(.badRequest, "invalid_round", "round is 0-99") }
        guard (0..<1_000).contains(body.drop) else { throw APIFailure(.badRequest, "invalid_drop", "drop is 0-999") }
        do {
            // Deterministic: a retried catch is the same order, so it is credited once.
            let orderID = try RedEnvelopeRain.orderID(activityID: rain.activity.id, round: body.round, userID: user,
                                                      dropIndex: body.drop)
            let token = try await rain.grant(round: body.round, user: User(id: user, deviceID: body.deviceID, appID: body.appID),
                                             dropIndex: body.drop, amount: envelopeAmount)
            return GrantAnswer(orderID: orderID, token: token)
        } catch {
            throw APIFailure(error)
        }
    }

    /// `POST /grant`: the generic call, for rewards no facade covers. A real service decides what
    /// it grants; taking everything from the body here only shows the call.
    struct Grant: Decodable {
        struct Bonus: Decodable {
            var rewardType: String
            var amount: Int64
            var extensions: [String: String]?
        }

        var activity: Activity
        var user: User
        var bonus: Bonus
        var orderID: String
    }

    func grant(_ request: Request) async throws(APIFailure) -> GrantAnswer {
        let body: Grant = try await Self.decode(request)
        let bonus = BonusContent(rewardType: body.bonus.rewardType, amount: body.bonus.amount, extensions: body.bonus.extensions ?? [:])
        do {
            let token = try await client.sendBonus(activity: body.activity, user: body.user, bonus: bonus, orderID: OrderID(body.orderID))
            return GrantAnswer(orderID: OrderID(body.orderID), token: token)
        } catch {
            throw APIFailure(error)
        }
    }

    /// `GET /readyz`, for the load balancer: 200 once `start()` found a cluster ready (before it, a
    /// grant would pay for discovering the clusters inside its 50 ms), with what operators look at.
    func readiness() -> EditedResponse<Readiness> {
        let readiness = Readiness(ready: client.isReady, readyClusters: client.readyClusterNames.map(\.rawValue),
                                  spoolDepth: client.spoolDepth)
        return EditedResponse(status: readiness.ready ? .ok : .serviceUnavailable, response: readiness)
    }

    struct Readiness: ResponseEncodable {
        var ready: Bool
        var readyClusters: [String]
        /// Grants in the local spool that no cluster acknowledged yet; they are replayed in the background.
        var spoolDepth: Int
    }

    /// Collects at most ``maximumBodyBytes`` and decodes it, naming what is wrong without quoting the body.
    static func decode<Body: Decodable>(_ request: Request) async throws(APIFailure) -> Body {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maximumBodyBytes)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw APIFailure(.contentTooLarge, "payload_too_large", "the body exceeds \(maximumBodyBytes) bytes")
        } catch {
            throw APIFailure(.badRequest, "unreadable_body", "the body could not be read")
        }
        do {
            return try JSONDecoder().decode(Body.self, from: Data(buffer.readableBytesView))
        } catch {
            // Only names this service declared (the first key of the path), never the caller's keys.
            let field: String? = switch error as? DecodingError {
            case .keyNotFound(let key, let context)?: (context.codingPath.first ?? key).stringValue
            case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?, .dataCorrupted(let context)?:
                context.codingPath.first?.stringValue
            default: nil
            }
            throw APIFailure(.badRequest, "invalid_json",
                             field.map { "the body's \($0) is missing or malformed" } ?? "the body is not the expected JSON object")
        }
    }
}

/// A durable grant: acknowledged by a cluster or synced to the local spool, so it will be
/// credited; `token` is the signed proof to show the user.
struct GrantAnswer: ResponseEncodable {
    var outcome = "durable"
    var orderID: String
    var token: String
    /// Unix seconds after which the token is no longer presentable.
    var expiresAt: UInt32

    init(orderID: OrderID, token: RewardToken) {
        self.orderID = orderID.rawValue
        self.token = token.encoded
        self.expiresAt = token.expiresAt
    }
}
