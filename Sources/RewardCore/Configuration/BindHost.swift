import Foundation

/// An address a server listens on: an IPv4 or IPv6 literal (`127.0.0.1`, `0.0.0.0`, `::`).
/// Host names are refused: what they resolve to can change under a running daemon, and a typo
/// would otherwise surface as a bind failure far from the setting that caused it.
public struct BindHost: Sendable, Hashable, CustomStringConvertible {
    public let address: String
    public var description: String { address }

    /// - Parameters:
    ///   - text: The configured value.
    ///   - setting: The setting's name as a person configures it, for the error.
    /// - Throws: ``ConfigurationError`` `bind_host.invalid`.
    public init(_ text: String, setting: String) throws(ConfigurationError) {
        var v4 = in_addr()
        var v6 = in6_addr()
        guard text.utf8.count <= 45, inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1 else {
            throw ConfigurationError(code: "bind_host.invalid", message: """
                \(setting) is '\(text.prefix(60))'; use an IP address to listen on, e.g. 127.0.0.1 (this machine only) \
                or 0.0.0.0 (every interface)
                """)
        }
        address = text
    }
}
