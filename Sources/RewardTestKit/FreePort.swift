import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A loopback TCP port free right now, for a child process that must be told its port up front
/// (one that prints its bound port through a buffered `print` cannot be asked afterwards).
/// - Throws: when no socket can be bound.
public func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw LoopbackHTTP.Failure(description: "socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
        }
    }
    guard bound else { throw LoopbackHTTP.Failure(description: "bind() on 127.0.0.1 failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}
