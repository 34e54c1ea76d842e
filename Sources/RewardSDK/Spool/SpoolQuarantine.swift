import Foundation

/// Why a quarantine file is there: `quarantine-<n>.json`, next to `quarantine-<n>.log`.
///
/// Two kinds: records that a cluster refused for good (``Kind/refused``: the `.log` holds exactly
/// those records, byte for byte, one ``Refusal`` each in frame order), and a segment that was
/// damaged (``Kind/damaged``: the `.log` is the segment itself, renamed after every frame that
/// could be read was replayed, with the byte ranges that could not be read).
struct SpoolQuarantineNote: Codable, Sendable, Equatable {
    enum Kind: String, Codable, Sendable {
        case refused
        case damaged
    }

    /// One record a cluster refused: which, where, and the error it gave.
    struct Refusal: Codable, Sendable, Equatable {
        /// The record's key (the grant's order id).
        var orderID: String
        var topic: String
        var cluster: String
        /// The Kafka error code's name (`MSG_SIZE_TOO_LARGE`).
        var code: String
        var message: String
    }

    /// Bytes `start..<end` of the file.
    struct ByteRange: Codable, Sendable, Equatable {
        var start: Int
        var end: Int

        init(_ range: Range<Int>) {
            start = range.lowerBound
            end = range.upperBound
        }
    }

    var kind: Kind
    /// The segment file the records came from.
    var sourceSegment: String
    var createdAt: Date
    var refusals: [Refusal] = []
    /// For a damaged segment: what could not be read, and the frames read and replayed around it.
    var unreadable: [ByteRange] = []
    var tornBytes: Int = 0
    var recoveredFrames: Int = 0

    func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        // Only strings, numbers and dates: encoding cannot fail.
        return Array((try? encoder.encode(self)) ?? Data())
    }

    static func decode(_ bytes: [UInt8]) -> SpoolQuarantineNote? {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(SpoolQuarantineNote.self, from: Data(bytes))
    }
}
