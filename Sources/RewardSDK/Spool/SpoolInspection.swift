public import Logging

/// Read-only questions about a spool directory, for operators (`reward-admin drain-spool`).
public enum SpoolInspection {
    /// Grants in `directory` that no cluster has acknowledged yet (what a replay would send).
    /// Takes the directory's lock for the count, so it fails while a live process owns the spool.
    /// - Throws: ``SpoolError`` (`locked` when a running process holds it, `io` when unreadable).
    public static func pendingGrants(directory: String, logger: Logger) async throws -> Int {
        let spool = try await Spool.open(directory: directory, segmentBytes: 1 << 20, logger: logger)
        let depth = spool.depth
        await spool.close()
        return depth
    }
}
