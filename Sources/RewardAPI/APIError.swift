import Foundation
public import HTTPTypes
import Hummingbird
import NIOCore
import RewardWallet

/// An error answer: an HTTP status and the JSON body `{"code": …, "message": …}` (a refused
/// withdrawal adds its `receipt`).
public struct APIError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    var receipt: WithdrawalReceipt?
    /// The grant's token, on the grant errors that come with one.
    var token: String?

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    var response: Response {
        JSONResponse.make(status, Body(code: code, message: message, receipt: receipt, token: token))
    }

    /// The JSON body alone, for answers written below the router (``MalformedRequestHandler``).
    var jsonBody: [UInt8] {
        JSONResponse.encode(Body(code: code, message: message, receipt: receipt, token: token))
    }

    private struct Body: Encodable {
        var code: String
        var message: String
        var receipt: WithdrawalReceipt?
        var token: String?
    }
}

/// JSON responses with sorted keys and ISO 8601 dates.
enum JSONResponse {
    static func make(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: encode(value))))
    }

    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.dateEncodingStrategy = .iso8601
        let data = (try? encoder.encode(value)) ?? Data(#"{"code":"internal","message":"the answer could not be encoded"}"#.utf8)
        return [UInt8](data)
    }
}
