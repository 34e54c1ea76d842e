import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few blocking file calls the spool makes, with errno turned into `SpoolError`.
/// Every one of them runs on a dedicated thread, never on the cooperative pool.
enum POSIXFile {
    static func error(_ call: String, _ path: String, _ code: Int32 = errno) -> SpoolError {
        SpoolError(.io, "\(call) \(path): \(String(cString: strerror(code)))")
    }

    static func makeDirectory(_ path: String) throws(SpoolError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw SpoolError(.io, "create directory \(path): \(error.localizedDescription)")
        }
    }

    /// Opens (creating) `path` and takes an exclusive `flock` without waiting.
    /// - Returns: the descriptor; closing it (or the process dying) releases the lock.
    /// - Throws: `SpoolError/Code/locked` when another open file description holds it.
    static func lockExclusively(_ path: String) throws(SpoolError) -> Int32 {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw error("open", path) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK {
                throw SpoolError(.locked, "\(path) is locked by another live process: each process needs its own spool directory")
            }
            throw error("flock", path, code)
        }
        return fd
    }

    /// Creates a new file that must not exist yet, for appending.
    static func createExclusive(_ path: String) throws(SpoolError) -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw error("create", path) }
        return fd
    }

    /// Writes all of `bytes` at the file's offset, retrying short writes and `EINTR`.
    /// - Throws: `SpoolError` `SpoolError/Code/io` (with `ENOSPC` when the disk is full); part of
    ///   `bytes` may have been written.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String, faults: SpoolFaults) throws(SpoolError) {
        var end = bytes.count
        var injected: Int32?
        if let fault = faults.write?(path, bytes.count), fault.allowed < bytes.count {
            end = max(0, fault.allowed)
            injected = fault.errno
        }
        var written = 0
        while written < end {
            let result = bytes.withUnsafeBytes { buffer in
                write(fd, buffer.baseAddress! + written, end - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw error("write", path)
            }
            written += result
        }
        if let injected { throw error("write", path, injected) }
    }

    /// Makes written data durable (`fdatasync`; `fsync` where there is none).
    static func sync(_ fd: Int32, path: String, faults: SpoolFaults) throws(SpoolError) {
        if let injected = faults.sync?(path) { throw error("fdatasync", path, injected) }
        #if canImport(Glibc)
        let result = fdatasync(fd)
        #else
        let result = fsync(fd)
        #endif
        guard result == 0 else { throw error("fdatasync", path) }
    }

    /// Makes a directory's entries (a created, renamed or removed file) durable.
    static func syncDirectory(_ path: String) throws(SpoolError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw error("open", path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw error("fsync", path) }
    }

    static func truncate(_ fd: Int32, to size: Int, path: String) throws(SpoolError) {
        guard ftruncate(fd, off_t(size)) == 0 else { throw error("ftruncate", path) }
    }

    static func closeFile(_ fd: Int32) {
        _ = close(fd)
    }

    /// The whole file, or `nil` when it does not exist.
    static func readAll(_ path: String) throws(SpoolError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw error("open", path)
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw error("read", path)
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }

    /// Replaces `name` in `directory` with `bytes` so that a crash leaves the old or the new file, whole.
    static func writeAtomically(_ bytes: [UInt8], directory: String, name: String, faults: SpoolFaults) throws(SpoolError) {
        let temporary = "\(directory)/\(name).tmp"
        let final = "\(directory)/\(name)"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw error("open", temporary) }
        do {
            try writeAll(fd, bytes, path: temporary, faults: faults)
            try sync(fd, path: temporary, faults: faults)
        } catch {
            close(fd)
            unlink(temporary)  // a full disk keeps no half-written leftovers
            throw error
        }
        close(fd)
        try rename(temporary, to: final)
        try syncDirectory(directory)
    }

    /// Renames a file within one file system (atomic; needs no free space).
    static func rename(_ from: String, to: String) throws(SpoolError) {
        #if canImport(Glibc)
        let result = Glibc.rename(from, to)
        #else
        let result = Darwin.rename(from, to)
        #endif
        guard result == 0 else { throw error("rename", from) }
    }

    /// Removes a file; a file that is already gone is fine.
    static func remove(_ path: String) throws(SpoolError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw error("unlink", path) }
    }

    static func list(_ directory: String) throws(SpoolError) -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw SpoolError(.io, "list \(directory): \(error.localizedDescription)")
        }
    }
}
