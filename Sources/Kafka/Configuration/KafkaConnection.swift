import Foundation

/// Where a cluster is and how to reach it: bootstrap brokers plus the connection properties a
/// deployment sets per cluster (TLS, SASL, client id, socket timeouts and backoffs).
///
/// Every producer, consumer and admin client takes one, so a secured cluster's settings reach
/// every client of it. Only connection properties pass: a cluster's file cannot turn off
/// idempotence, `acks=all`, manual commits or the delivery deadlines the SDK is tuned for.
/// Secret values (passwords, private keys) come only from files, and ``description`` never shows them.
public struct KafkaConnection: Sendable, Hashable, CustomStringConvertible {
    /// `host:port` of the cluster's bootstrap brokers.
    public let bootstrapServers: [String]
    /// The properties, secrets included; given to librdkafka after the client's own.
    let properties: [String: String]

    /// A plaintext connection without further properties: the mock clusters, loopback tests.
    public init(bootstrapServers: [String]) {
        self.bootstrapServers = bootstrapServers
        self.properties = [:]
    }

    /// A connection with properties, checked now so that a typo stops the process at start.
    /// - Parameters:
    ///   - properties: librdkafka connection properties (see ``isConnectionProperty(_:)``); no secrets.
    ///   - secretFiles: property name → path of a file holding its value (a trailing newline is dropped).
    /// - Throws: ``KafkaError/Code/invalidConfiguration`` naming the property and what to do.
    public init(bootstrapServers: [String], properties: [String: String], secretFiles: [String: String]) throws(KafkaError) {
        guard !bootstrapServers.isEmpty else { throw KafkaError.invalidConfiguration("bootstrapServers is empty") }
        var resolved: [String: String] = [:]
        for (name, value) in properties {
            guard Self.isConnectionProperty(name) else { throw Self.notAllowed(name) }
            guard !Self.isSecret(name) else {
                throw KafkaError.invalidConfiguration(
                    "property \(name) is a secret: name a file holding it under secretFiles instead of writing it inline")
            }
            resolved[name] = value
        }
        for (name, path) in secretFiles {
            guard Self.isConnectionProperty(name) else { throw Self.notAllowed(name) }
            guard resolved[name] == nil else {
                throw KafkaError.invalidConfiguration("property \(name) is given both inline and in secretFiles; keep one")
            }
            resolved[name] = try Self.readSecret(name, from: path)
        }
        // librdkafka's own check of names and values, without making a client.
        let conf = try RdKafkaConfig.make(resolved.merging(["bootstrap.servers": bootstrapServers.joined(separator: ",")]) { a, _ in a })
        RdKafkaConfig.destroy(conf)
        self.bootstrapServers = bootstrapServers
        self.properties = resolved
    }

    public var description: String {
        let shown = properties.keys.sorted().map { "\($0)=\(Self.isSecret($0) ? "<redacted>" : properties[$0] ?? "")" }
        return "KafkaConnection(\(bootstrapServers.joined(separator: ","))" + (shown.isEmpty ? "" : "; " + shown.joined(separator: ", ")) + ")"
    }

    /// `properties` laid over a client's own: the connection decides how to reach the cluster.
    func applied(to own: [String: String]) -> [String: String] {
        var merged = own.merging(properties) { _, connection in connection }
        merged["bootstrap.servers"] = bootstrapServers.joined(separator: ",")
        return merged
    }

    private static let exactNames: Set<String> = [
        "security.protocol", "client.id", "client.rack", "enable.ssl.certificate.verification",
        "socket.timeout.ms", "socket.connection.setup.timeout.ms", "socket.keepalive.enable", "socket.nagle.disable",
        "socket.send.buffer.bytes", "socket.receive.buffer.bytes", "connections.max.idle.ms",
        "reconnect.backoff.ms", "reconnect.backoff.max.ms", "broker.address.family", "broker.address.ttl",
        "metadata.max.age.ms", "topic.metadata.refresh.interval.ms", "api.version.request.timeout.ms",
    ]

    /// Properties under `ssl.`/`sasl.` that make librdkafka run a command or load code: a cluster's
    /// file is data, and whoever can edit it must not thereby run programs as the service.
    private static let executing: Set<String> = ["sasl.kerberos.kinit.cmd", "ssl.engine.location", "ssl.providers"]

    /// Whether a cluster's file may set `name`: `ssl.*`, `sasl.*` (save what runs or loads code),
    /// and the names above.
    public static func isConnectionProperty(_ name: String) -> Bool {
        !executing.contains(name) && (exactNames.contains(name) || name.hasPrefix("ssl.") || name.hasPrefix("sasl."))
    }

    /// Properties whose values are secrets: only from files, never printed.
    public static func isSecret(_ name: String) -> Bool {
        name.hasSuffix(".password") || name.hasSuffix(".secret") || name == "ssl.key.pem" || name == "sasl.oauthbearer.config"
    }

    private static func notAllowed(_ name: String) -> KafkaError {
        KafkaError.invalidConfiguration(
            "property \(name) is not a connection property; a cluster may set security.protocol, ssl.*, sasl.*, "
                + "client.id and socket/reconnect/metadata timeouts, never delivery or commit settings, "
                + "nor what runs a command or loads a library (sasl.kerberos.kinit.cmd, ssl.engine.location, ssl.providers)")
    }

    /// A secret file is operator input: bounded, text, no NUL (librdkafka reads C strings).
    private static func readSecret(_ name: String, from path: String) throws(KafkaError) -> String {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
            throw KafkaError.invalidConfiguration("secret file \(path) for \(name) does not exist or cannot be read")
        }
        // The size before the read: a huge file is refused without being loaded.
        guard (attributes[.size] as? Int ?? 0) <= 65_536 else {
            throw KafkaError.invalidConfiguration("secret file \(path) for \(name) is larger than 64 KiB")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KafkaError.invalidConfiguration("secret file \(path) for \(name) does not exist or cannot be read")
        }
        guard data.count <= 65_536 else {  // it grew between the two looks
            throw KafkaError.invalidConfiguration("secret file \(path) for \(name) is larger than 64 KiB")
        }
        guard !data.contains(0), var text = String(data: data, encoding: .utf8) else {
            throw KafkaError.invalidConfiguration("secret file \(path) for \(name) is not UTF-8 text")
        }
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        guard !text.isEmpty else { throw KafkaError.invalidConfiguration("secret file \(path) for \(name) is empty") }
        return text
    }
}
