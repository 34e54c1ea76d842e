import Foundation

/// Runs a blocking call (file I/O, fsync, flock) on a short-lived thread of its own and resumes
/// the caller with its result, so nothing blocks Swift's cooperative pool (two threads here).
///
/// For rare calls only (opening the spool, reading a sealed segment, writing a checkpoint); the
/// per-grant spool path goes through ``SpoolWriter``'s long-lived thread instead.
func onDedicatedThread<T: Sendable>(_ name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.name = name
        thread.start()
    }
}
