public import Foundation
public import Logging

/// Read-only questions about a spool directory, for operators (`reward-admin drain-spool`).
public enum SpoolInspection {
    /// Grants in `directory` that no cluster has acknowledged yet (what a replay would send).
    /// Takes the directory's lock for the count, so it fails while a live process owns the spool.
    /// - Throws: `SpoolError` (`locked` when a running process holds it, `io` when unreadable).
    public static func pendingGrants(directory: String, logger: Logger) async throws -> Int {
        let spool = try await Spool.open(directory: directory, segmentBytes: 1 << 20, logger: logger)
        let depth = spool.depth
        await spool.close()
        return depth
    }

    /// One file of a spool directory: a segment waiting for replay, or a quarantine file.
    public struct Entry: Sendable, Codable, Equatable {
        public enum Kind: String, Sendable, Codable {
            /// Grants waiting for replay.
            case segment
            /// Records a cluster refused for good (never retried by the SDK).
            case refused
            /// A segment that was damaged: its readable records were replayed, the file is kept.
            case damaged
        }

        /// One record a cluster refused.
        public struct Refusal: Sendable, Codable, Equatable {
            public var orderID: String
            public var topic: String
            public var cluster: String
            /// The Kafka error code's name (`MSG_SIZE_TOO_LARGE`).
            public var code: String
            public var message: String
        }

        /// The file name in the directory.
        public var file: String
        public var kind: Kind
        public var bytes: Int
        /// Records in the file that can be read.
        public var records: Int
        /// Of a segment: records not yet acknowledged by a cluster (after its checkpoint). 0 for the quarantine.
        public var pending: Int
        /// Byte ranges that could not be read, as `start..<end`.
        public var unreadable: [String]
        /// Bytes at the end that are a torn write (never acknowledged to a caller).
        public var tornBytes: Int
        /// Of a quarantine file: the segment its records came from, and when they were quarantined.
        public var sourceSegment: String?
        public var quarantinedAt: Date?
        /// Of refused records: each one, in file order (empty when the note is missing).
        public var refusals: [Refusal]

        /// Why the file is there, in one line (`-` for a segment that is only waiting).
        public var reason: String {
            switch kind {
            case .segment:
                guard !unreadable.isEmpty else { return "-" }
                return "damaged: unreadable bytes \(unreadable.joined(separator: ", ")); replay reads past them"
            case .refused:
                guard !refusals.isEmpty else { return "refused by a cluster (no note)" }
                let groups = Dictionary(grouping: refusals) { "\($0.cluster) \($0.code)" }
                return "refused: " + groups.keys.sorted().map { "\($0) x\(groups[$0]!.count)" }.joined(separator: ", ")
            case .damaged:
                return "damaged: unreadable bytes \(unreadable.isEmpty ? "?" : unreadable.joined(separator: ", "));"
                    + " its \(records) readable records were replayed"
            }
        }
    }

    /// Every segment and quarantine file in `directory`, oldest first.
    ///
    /// Reads only: it takes no lock and changes nothing, so it also works beside a live process
    /// (whose active segment may then show a torn tail: a write in progress).
    /// - Throws: `SpoolError` `SpoolError/Code/io` when the directory or a file cannot be read.
    public static func list(directory: String) async throws -> [Entry] {
        try await onDedicatedThread("reward-spool-list") { () throws -> [Entry] in
            let names = try POSIXFile.list(directory)
            var entries: [Entry] = []
            for name in names.sorted() {
                if let sequence = SpoolFormat.sequence(ofSegment: name) {
                    entries.append(try segment(directory: directory, name: name, sequence: sequence))
                } else if let number = SpoolFormat.number(ofQuarantine: name), name.hasSuffix(".log") {
                    entries.append(try quarantined(directory: directory, name: name, number: number))
                }
            }
            return entries
        }
    }

    private static func segment(directory: String, name: String, sequence: UInt64) throws(SpoolError) -> Entry {
        let bytes = try POSIXFile.readAll("\(directory)/\(name)") ?? []
        let scan = SpoolFormat.scan(bytes)
        let checkpoint = try POSIXFile.readAll("\(directory)/\(SpoolFormat.checkpointName(sequence))")
            .flatMap(SpoolFormat.decodeCheckpoint) ?? 0
        return Entry(file: name, kind: .segment, bytes: bytes.count, records: scan.frames.count,
                     pending: scan.frames.count { $0.endOffset > checkpoint }, unreadable: scan.damaged.map(describe),
                     tornBytes: scan.tornBytes, sourceSegment: nil, quarantinedAt: nil, refusals: [])
    }

    private static func quarantined(directory: String, name: String, number: UInt64) throws(SpoolError) -> Entry {
        let bytes = try POSIXFile.readAll("\(directory)/\(name)") ?? []
        let scan = SpoolFormat.scan(bytes)
        let note = try POSIXFile.readAll("\(directory)/\(SpoolFormat.quarantineNoteName(number))").flatMap(SpoolQuarantineNote.decode)
        let damaged = note?.kind == .damaged || (note == nil && scan.isDamaged)
        return Entry(
            file: name, kind: damaged ? .damaged : .refused, bytes: bytes.count, records: scan.frames.count, pending: 0,
            unreadable: scan.damaged.map(describe), tornBytes: scan.tornBytes, sourceSegment: note?.sourceSegment,
            quarantinedAt: note?.createdAt,
            refusals: (note?.refusals ?? []).map {
                Entry.Refusal(orderID: $0.orderID, topic: $0.topic, cluster: $0.cluster, code: $0.code, message: $0.message)
            })
    }

    private static func describe(_ range: Range<Int>) -> String { "\(range.lowerBound)..<\(range.upperBound)" }
}
