import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1

/// Refusals of malformed input: bytes that are not HTTP, bodies that cannot be read, JSON that
/// does not decode. Each names what is wrong without echoing the caller's bytes.
extension APIError {
    /// A request that NIO's HTTP/1 parser refused: `431 headers_too_large`, `400
    /// invalid_content_length`, `400 invalid_chunked_body`, else `400 malformed_request`.
    init(parserError: HTTPParserError) {
        switch parserError {
        case .headerOverflow:
            self.init(.requestHeaderFieldsTooLarge, "headers_too_large",
                      "the request line and headers are larger than the server accepts")
        case .invalidContentLength, .unexpectedContentLength:
            self.init(.badRequest, "invalid_content_length",
                      "Content-Length must be one decimal number within 64 bits, sent once")
        case .invalidChunkSize:
            self.init(.badRequest, "invalid_chunked_body", "the chunked body is malformed")
        case .unknown:
            // llhttp's errors without an NIO case: a Transfer-Encoding that is not chunked last, or
            // together with Content-Length; a missing CR.
            self.init(.badRequest, "malformed_request",
                      "the request is not valid HTTP/1.1 (its framing: Transfer-Encoding, Content-Length or line ends)")
        default:
            self.init(.badRequest, "malformed_request", "the request is not valid HTTP/1.1 (\(parserError.debugDescription))")
        }
    }

    /// A body that could not be collected: too large (`413 payload_too_large`), or malformed on the wire.
    init(unreadableBody error: any Error, maximumBytes: Int) {
        switch error {
        case let parserError as HTTPParserError:
            self.init(parserError: parserError)
        case is NIOTooManyBytesError:
            self.init(.contentTooLarge, "payload_too_large", "the body exceeds \(maximumBytes) bytes")
        default:
            self.init(.badRequest, "unreadable_body", "the body could not be read")
        }
    }

    /// `400 invalid_json`, saying where the body departs from the expected object (field path
    /// and what was expected), never quoting the body.
    static func badJSON(_ what: String, _ error: any Error) -> APIError {
        let detail: String
        switch error as? DecodingError {
        case .typeMismatch(let type, let context)?:
            detail = "\(path(context.codingPath)) must be \(expected(type))"
        case .valueNotFound(let type, let context)?:
            detail = "\(path(context.codingPath)) must be \(expected(type)), not null"
        case .keyNotFound(let key, let context)?:
            detail = "\(path(context.codingPath + [key])) is required"
        case .dataCorrupted(let context)? where context.debugDescription == WholeNumber.refusal:
            detail = "\(path(context.codingPath)) must be \(WholeNumber.refusal)"
        case .dataCorrupted(let context)? where !context.codingPath.isEmpty:
            detail = "\(path(context.codingPath)) is malformed"
        default:
            detail = "the body is not UTF-8 JSON"
        }
        return APIError(.badRequest, "invalid_json", "the body is not a valid \(what) JSON object: \(detail)")
    }

    /// `bonus.amount`, `tokens[3].orderID`; keys the caller chose (extension names) are shortened
    /// and reduced to identifier characters.
    private static func path(_ codingPath: [any CodingKey]) -> String {
        guard !codingPath.isEmpty else { return "the body" }
        var text = ""
        for key in codingPath {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                let safe = key.stringValue.prefix(32).map { $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) ? $0 : "?" }
                text += (text.isEmpty ? "" : ".") + String(safe)
            }
        }
        return text
    }

    private static func expected(_ type: Any.Type) -> String {
        switch type {
        case is Int64.Type, is Int.Type: WholeNumber.refusal
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is [Any].Type: "an array"
        default: "an object"
        }
    }
}
