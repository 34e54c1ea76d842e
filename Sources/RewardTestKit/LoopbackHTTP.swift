import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A plain HTTP/1.0 GET on loopback, for reading a child process's `/metrics` or `/healthz`:
/// blocking socket calls on a thread of their own, never on the cooperative pool.
public enum LoopbackHTTP {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The response body of `GET path` on 127.0.0.1:`port`.
    public static func get(port: Int, path: String) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try blockingGet(port: port, path: path) })
            }.start()
        }
    }

    /// One HTTP/1.1 answer to bytes sent as they are (what no HTTP client library would send).
    public struct RawAnswer: Sendable {
        /// 0 when the server closed without an answer.
        public var status: Int
        /// Header names lowercased; a repeated header keeps its last value.
        public var headers: [String: String]
        public var body: [UInt8]
        /// Every header line as sent, for headers that repeat (`Set-Cookie`).
        public var headerLines: [String] = []

        /// The values of every `name` header, in order (name compared without case).
        public func values(_ name: String) -> [String] {
            headerLines.compactMap { line in
                guard let colon = line.firstIndex(of: ":"), line[..<colon].lowercased() == name.lowercased() else { return nil }
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
    }

    /// Sends `request` to 127.0.0.1:`port` and reads one answer (to its Content-Length, or until
    /// the server closes).
    public static func exchange(port: Int, _ request: [UInt8]) async throws -> RawAnswer {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try blockingExchange(port: port, request) })
            }.start()
        }
    }

    private static func blockingExchange(port: Int, _ request: [UInt8]) throws -> RawAnswer {
        let fd = try connected(port: port)
        defer { close(fd) }
        var sent = 0
        while sent < request.count {
            // MSG_NOSIGNAL: a server that closes early must not SIGPIPE the test process.
            let count = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { break }  // the server stopped reading (it may have answered already)
            sent += count
        }
        var response = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while !isComplete(response) {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            response += buffer[0..<count]
        }
        return parse(response)
    }

    private static func headEnd(_ bytes: [UInt8]) -> Int? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4 else { return nil }
        return (0...(bytes.count - 4)).first { bytes[$0..<$0 + 4].elementsEqual(separator) }
    }

    private static func isComplete(_ bytes: [UInt8]) -> Bool {
        guard let end = headEnd(bytes), let length = parse(bytes).headers["content-length"].flatMap({ Int($0) }) else { return false }
        return bytes.count >= end + 4 + length
    }

    private static func parse(_ bytes: [UInt8]) -> RawAnswer {
        guard let end = headEnd(bytes) else { return RawAnswer(status: 0, headers: [:], body: bytes) }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let status = lines.first.flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Int($0) } ?? 0
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(bytes[(end + 4)...])
        if let length = headers["content-length"].flatMap({ Int($0) }), body.count > length { body = Array(body.prefix(length)) }
        return RawAnswer(status: status, headers: headers, body: body, headerLines: Array(lines.dropFirst()))
    }

    private static func connected(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw Failure(description: "connect to 127.0.0.1:\(port) failed")
        }
        return fd
    }

    /// One exchange, as ``exchange(port:_:)`` (it reads to the Content-Length: Hummingbird keeps
    /// an HTTP/1.0 connection open, so reading to the close waited out the receive timeout).
    private static func blockingGet(port: Int, path: String) throws -> String {
        let answer = try blockingExchange(port: port, Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        guard answer.status != 0 else { throw Failure(description: "no HTTP response from port \(port)") }
        return String(decoding: answer.body, as: UTF8.self)
    }
}
