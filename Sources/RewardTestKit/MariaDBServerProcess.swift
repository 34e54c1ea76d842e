public import Foundation
public import MariaDB

#if canImport(Glibc)
import Glibc

private func sendSignal(_ pid: pid_t, _ signal: Int32) { _ = Glibc.kill(pid, signal) }
#elseif canImport(Darwin)
import Darwin

private func sendSignal(_ pid: pid_t, _ signal: Int32) { _ = Darwin.kill(pid, signal) }
#endif

/// A private `mariadbd` for tests that stop, kill or restart the server.
///
/// It lives in its own temporary folder (data, socket, pid, error log) and listens on a free
/// loopback port; ``configuration`` reaches it as `root` without a password over TCP. The flags
/// follow `ops/lib/mariadb.sh`. Call ``destroy()`` when done (also when a test fails): it kills the
/// server and deletes the folder.
public actor MariaDBServerProcess {
    /// `root` over TCP to `127.0.0.1:<port>`, no database selected.
    public nonisolated let configuration: MariaDBConfiguration
    /// The folder with `data/`, `sock`, `mysqld.pid` and `error.log`.
    public nonisolated let directory: URL
    private var process: Process?
    private let extraArguments: [String]

    /// Makes a private temporary folder and picks a free loopback port; nothing runs until ``start()``.
    /// - Parameter extraArguments: more `mariadbd` flags (for example `--ssl-cert=…`).
    /// - Throws: ``TestEnvironmentError`` when no port or folder can be had.
    public init(extraArguments: [String] = []) throws {
        self.extraArguments = extraArguments
        let directory = URL(fileURLWithPath: "/tmp", isDirectory: true)
            .appendingPathComponent("mdbt-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.directory = directory
        var configuration = MariaDBConfiguration(user: "root")
        configuration.host = "127.0.0.1"
        configuration.port = try Self.freeLoopbackPort()
        configuration.connectTimeout = .seconds(2)
        self.configuration = configuration
    }

    /// Starts `mariadbd` if it is not running and waits until it answers. The first start creates the
    /// system tables (`mariadb-install-db`); later starts reuse the data, as a real restart would.
    /// - Throws: ``TestEnvironmentError`` with the end of the error log when it does not come up in 60 s.
    public func start() async throws {
        if let process, process.isRunning { return }
        if !FileManager.default.fileExists(atPath: directory.appendingPathComponent("data/mysql").path) {
            try await installDatabase()
        }
        let process = Process()
        process.executableURL = try Self.executable("mariadbd")
        process.arguments = [
            "--no-defaults",
            "--datadir=\(directory.path)/data",
            "--tmpdir=\(directory.path)",
            "--user=\(Self.userName())",
            "--socket=\(directory.path)/sock",
            "--port=\(configuration.port)",
            "--bind-address=127.0.0.1",
            "--pid-file=\(directory.path)/mysqld.pid",
            "--log-error=\(directory.path)/error.log",
            "--skip-log-bin",
            "--skip-name-resolve",
            "--max-connections=200",
            "--innodb-buffer-pool-size=64M",
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_bin",
        ] + extraArguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        try await waitUntilAnswering(process)
    }

    /// Stops the server with SIGTERM (a clean shutdown) and waits for it to exit.
    public func stop() async throws {
        guard let process, process.isRunning else { return }
        process.terminate()
        if !(await waitForExit(process, seconds: 60)) {
            sendSignal(process.processIdentifier, SIGKILL)
            _ = await waitForExit(process, seconds: 10)
        }
        self.process = nil
    }

    /// Kills the server with SIGKILL (like a crash) and waits for it to exit.
    public func kill() async throws {
        guard let process, process.isRunning else { return }
        sendSignal(process.processIdentifier, SIGKILL)
        _ = await waitForExit(process, seconds: 10)
        self.process = nil
    }

    /// Sends `signal` to the running server (SIGSTOP hangs it as a stalled machine would; SIGCONT resumes it).
    public func signal(_ signal: Int32) {
        guard let process, process.isRunning else { return }
        sendSignal(process.processIdentifier, signal)
    }

    /// Stops the server cleanly and starts it again on the same port and data.
    public func restart() async throws {
        try await stop()
        try await start()
    }

    /// Kills the server if it runs and deletes its folder.
    public func destroy() async {
        try? await kill()
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: Helpers

    private func installDatabase() async throws {
        let install = Process()
        install.executableURL = try Self.executable("mariadb-install-db")
        install.arguments = [
            "--no-defaults", "--datadir=\(directory.path)/data", "--user=\(Self.userName())",
            "--auth-root-authentication-method=normal", "--skip-test-db",
        ]
        let log = directory.appendingPathComponent("install.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        install.standardOutput = handle
        install.standardError = handle
        try install.run()
        _ = await waitForExit(install, seconds: 120)
        guard install.terminationStatus == 0 else {
            throw TestEnvironmentError("mariadb-install-db failed, see \(log.path)")
        }
    }

    private func waitUntilAnswering(_ process: Process) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        var probe = configuration
        probe.unixSocket = "\(directory.path)/sock"
        while ContinuousClock.now < deadline {
            guard process.isRunning else { break }
            if let connection = try? await MariaDBConnection.connect(configuration: probe, logger: TestMariaDB.quietLogger) {
                await connection.close()
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let errorLog = (try? String(contentsOf: directory.appendingPathComponent("error.log"), encoding: .utf8)) ?? ""
        throw TestEnvironmentError(
            "mariadbd did not start; last lines of its error log:\n"
                + errorLog.split(separator: "\n").suffix(20).joined(separator: "\n"))
    }

    private func waitForExit(_ process: Process, seconds: Int) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while process.isRunning {
            if ContinuousClock.now > deadline { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    private static func executable(_ name: String) throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/local/sbin", "/usr/bin", "/sbin"]
        for directory in directories {
            let candidate = URL(fileURLWithPath: directory).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw TestEnvironmentError("\(name) not found: install mariadb-server (ops/bootstrap does)")
    }

    private static func userName() -> String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "root"
    }

    /// Asks the kernel for a free loopback port by binding port 0.
    private static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestEnvironmentError("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw TestEnvironmentError("bind() failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw TestEnvironmentError("getsockname() failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
