import AsyncHTTPClient
import DownstreamSimulator
import Foundation
import NIOCore
import RewardTestKit
import ServiceLifecycle

/// A plain HTTP exchange with the simulator, for tests that speak to it directly.
struct SimpleResponse: Sendable {
    var status: Int
    var body: [String: String]
    var headers: [String: String]
}

func post(_ url: String, json: String, headers: [String: String] = [:]) async throws -> SimpleResponse {
    var request = HTTPClientRequest(url: url)
    request.method = .POST
    request.headers.add(name: "Content-Type", value: "application/json")
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    request.body = .bytes(ByteBuffer(string: json))
    return try await exchange(request)
}

func get(_ url: String) async throws -> (status: Int, data: Data) {
    let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
    let bytes = try await response.body.collect(upTo: 4 << 20)
    return (Int(response.status.code), Data(bytes.readableBytesView))
}

private func exchange(_ request: HTTPClientRequest) async throws -> SimpleResponse {
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
    let bytes = try await response.body.collect(upTo: 1 << 20)
    let object = (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any] ?? [:]
    var headers: [String: String] = [:]
    for header in response.headers { headers[header.name.lowercased()] = header.value }
    return SimpleResponse(status: Int(response.status.code), body: object.compactMapValues { $0 as? String }, headers: headers)
}
