import Foundation
import RewardAPI
import RewardTestKit
import Testing

/// Bytes that are not HTTP/1.1 get the same JSON error body as every other refusal (issue 10).
extension RewardAPITests {
    @Test("Bytes that are not HTTP/1.1 get a JSON 400 or 431 with a specific code, then the connection closes")
    func malformedHTTP() async throws {
        try await APIHarness.with("api_malformed_http") { api in
            func request(_ head: String, body: String = "") -> [UInt8] { Array((head + "\r\n\r\n" + body).utf8) }
            let post = "POST /v1/bonus HTTP/1.1\r\nHost: 127.0.0.1"
            let cases: [(String, [UInt8], Int, String)] = [
                ("Content-Length not a number", request(post + "\r\nContent-Length: abc"), 400, "invalid_content_length"),
                ("negative Content-Length", request(post + "\r\nContent-Length: -1"), 400, "invalid_content_length"),
                ("Content-Length over 64 bits", request(post + "\r\nContent-Length: 99999999999999999999999"), 400, "invalid_content_length"),
                ("two Content-Lengths", request(post + "\r\nContent-Length: 2\r\nContent-Length: 3", body: "{}"), 400,
                 "invalid_content_length"),
                // llhttp refuses the pair as a Transfer-Encoding error, which NIO reports without a case of its own.
                ("Content-Length with chunked", request(post + "\r\nContent-Length: 2\r\nTransfer-Encoding: chunked", body: "0\r\n\r\n"),
                 400, "malformed_request"),
                ("a 90 KiB header", request(post + "\r\nX-Reward-User: " + String(repeating: "u", count: 90 * 1024)), 431,
                 "headers_too_large"),
                ("1,100 headers", request(post + (0..<1100).map { "\r\nX-Filler-\($0): x" }.joined()), 431, "headers_too_large"),
                ("NUL in a header", request(post + "\r\nX-Reward-Service: ga\u{0}mes"), 400, "malformed_request"),
                ("not a request line", request("HELLO"), 400, "malformed_request"),
                ("chunk size not hex", request(post + "\r\nTransfer-Encoding: chunked", body: "ZZ\r\n{}\r\n0\r\n\r\n"), 400,
                 "invalid_chunked_body"),
            ]
            for (label, bytes, status, code) in cases {
                let answer = try await LoopbackHTTP.exchange(port: api.port, bytes)
                let json = (try? JSONSerialization.jsonObject(with: Data(answer.body))) as? [String: Any]
                #expect(answer.status == status && json?["code"] as? String == code,
                        "\(label): \(answer.status) \(String(decoding: answer.body.prefix(200), as: UTF8.self))")
                #expect(answer.headers["content-type"] == "application/json", "\(label)")
                #expect((json?["message"] as? String)?.isEmpty == false, "\(label)")
            }
            #expect(try await api.send("GET", "/healthz").status == 200, "the server still answers")
        }
    }
}
