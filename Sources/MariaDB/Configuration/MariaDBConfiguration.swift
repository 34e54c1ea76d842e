import Foundation

/// How to reach a MariaDB server and how connections and the pool behave.
///
/// Every connection sets the session time zone to ``sessionTimeZone`` (UTC by default), so `DATETIME`
/// values read and written as `Date` are UTC. ``description`` never shows the password.
public struct MariaDBConfiguration: Sendable, CustomStringConvertible {
    /// Pool sizing and waiting.
    public struct PoolOptions: Sendable {
        /// The most connections the pool opens at once (leased, idle and being opened). Default 8.
        public var maxConnections: Int = 8
        /// How long ``MariaDBPool/withConnection(_:)`` waits for a free connection before throwing
        /// ``MariaDBError/Code-swift.struct/poolTimeout``. Default 10 s.
        public var acquireTimeout: Duration = .seconds(10)
        /// An idle connection unused for longer than this is pinged before it is handed out. Default 30 s.
        public var validationInterval: Duration = .seconds(30)

        /// Creates pool options with the defaults.
        public init() {}
    }

    /// Host name or IP address for TCP. Ignored when ``unixSocket`` is set. Default `127.0.0.1`.
    public var host: String = "127.0.0.1"
    /// TCP port. Default 3306.
    public var port: Int = 3306
    /// Path of the server's Unix socket; when set, the connection goes over it instead of TCP.
    public var unixSocket: String?
    /// User name.
    public var user: String
    /// Password; never printed.
    public var password: String
    /// The default database of each connection, if any.
    public var database: String?
    /// How long to wait for the TCP connection and handshake. Default 5 s (rounded up to whole seconds).
    public var connectTimeout: Duration = .seconds(5)
    /// How long a read from the server may block. Default 30 s. A statement that waits longer for its
    /// answer fails with ``MariaDBError/Code-swift.struct/lostConnection`` and its connection is
    /// discarded; row-lock waits end earlier, at ``lockWaitTimeout``.
    public var readTimeout: Duration = .seconds(30)
    /// How long a statement waits for a row lock before failing with
    /// ``MariaDBError/Code-swift.struct/lockWaitTimeout``. Default 10 s; always kept below
    /// ``readTimeout`` so a lock wait never looks like a lost connection.
    public var lockWaitTimeout: Duration = .seconds(10)
    /// How long a write to the server may block. Default 30 s.
    public var writeTimeout: Duration = .seconds(30)
    /// Pool sizing and waiting.
    public var pool = PoolOptions()
    /// The `time_zone` set on every connection. Default `+00:00`: all `DATETIME` values are UTC.
    public var sessionTimeZone: String = "+00:00"
    /// TLS for the connection; `nil` connects in plaintext (right for a Unix socket or loopback).
    /// When set, a server that does not offer TLS, or whose certificate does not verify, is refused
    /// with ``MariaDBError/Code-swift.struct/tlsFailed``: never a silent fallback to plaintext.
    public var tls: TLS?
    /// The isolation level set on every connection when it opens; `nil` keeps the server's default
    /// (`REPEATABLE READ`). Settlement runs its transactions at `READ COMMITTED` and skips a
    /// per-transaction `SET` when the pool already says so.
    public var transactionIsolation: TransactionIsolation?

    /// How a connection secures itself with TLS.
    public struct TLS: Sendable, Equatable {
        /// PEM file of the certificate authorities that may sign the server's certificate.
        /// Required while ``verifyServerCertificate`` is on.
        public var certificateAuthorityFile: String?
        /// PEM file of this client's certificate, for users created `REQUIRE X509`; needs ``keyFile``.
        public var certificateFile: String?
        /// PEM file of the private key of ``certificateFile``.
        public var keyFile: String?
        /// Checks the server's certificate against ``certificateAuthorityFile`` and its name (or IP
        /// address) against ``MariaDBConfiguration/host``. Default on; turning it off still encrypts
        /// but lets anyone in the path pose as the server.
        public var verifyServerCertificate: Bool = true

        /// TLS that verifies the server against the CAs in `certificateAuthorityFile`.
        public init(certificateAuthorityFile: String?) {
            self.certificateAuthorityFile = certificateAuthorityFile
        }

        /// What is missing or contradictory, in words a person can act on; `nil` when usable.
        public var problem: String? {
            if verifyServerCertificate && certificateAuthorityFile == nil {
                return "TLS verifies the server's certificate but names no CA file (tls.ca); give one, or turn verification off knowingly"
            }
            if (certificateFile == nil) != (keyFile == nil) {
                return "a client certificate needs both tls.cert and tls.key"
            }
            for path in [certificateAuthorityFile, certificateFile, keyFile].compactMap({ $0 }) where !FileManager.default.isReadableFile(atPath: path) {
                return "TLS file \(path) does not exist or cannot be read"
            }
            return nil
        }
    }

    /// A transaction isolation level.
    public enum TransactionIsolation: String, Sendable, Hashable, CaseIterable {
        case readUncommitted = "READ UNCOMMITTED"
        case readCommitted = "READ COMMITTED"
        case repeatableRead = "REPEATABLE READ"
        case serializable = "SERIALIZABLE"
    }

    /// Creates a configuration.
    /// - Parameters:
    ///   - user: User name.
    ///   - password: Password (may be empty).
    ///   - database: Default database, if any.
    public init(user: String, password: String = "", database: String? = nil) {
        self.user = user
        self.password = password
        self.database = database
    }

    public var description: String {
        let target = unixSocket.map { "unix:\($0)" } ?? "\(host):\(port)"
        return "MariaDBConfiguration(\(user)@\(target)/\(database ?? ""), password: <redacted>, "
            + "tls: \(tls.map { $0.verifyServerCertificate ? "verified" : "unverified" } ?? "off"), "
            + "maxConnections: \(pool.maxConnections))"
    }
}
