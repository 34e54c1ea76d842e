import Crypto
import Kafka

/// A `dead_letters` row that can always be written, whatever the record carried.
///
/// Keys, headers and values come from whoever produced the record: each text field is kept whole
/// when it fits its column and is otherwise cut to fit, ending with its length and a SHA-256 prefix
/// (`…[300 B sha256:1a2b3c4d]`), so a person can still match it; the payload is kept up to
/// ``payloadLimit`` bytes with its original size beside it. Columns count characters (code points),
/// so text is cut by Unicode scalars, never by grapheme clusters.
struct DeadLetterRow: Sendable, Equatable {
    /// The `payload` column keeps at most this many bytes (the original size is in `payload_bytes`).
    static let payloadLimit = 1 << 20

    var cluster: String
    var topic: String
    var partition: Int32
    var offset: Int64
    var orderID: String?
    var rewardType: String?
    var reasonCode: String
    var reason: String
    var payload: [UInt8]?
    var payloadBytes: Int64?
    var attempts: Int64

    /// - Parameters:
    ///   - origin: The first copy's coordinates from the `reward-origin` header, when it parsed and fits.
    ///   - own: This record's coordinates (the fallback, and what a record without origin stands for).
    init(origin: OriginRecord?, own: OriginRecord, orderID: String?, rewardType: String?, reason: Rejection, value: [UInt8]?,
         attempts: Int) {
        let source = origin.flatMap { $0.fitsDeadLetters ? $0 : nil } ?? own
        cluster = Self.fit(source.cluster, 16)
        topic = Self.fit(source.topic, 128)
        partition = source.partition
        offset = source.offset
        self.orderID = orderID.map { Self.fit($0, 128) }
        self.rewardType = rewardType.map { Self.fit($0, 64) }
        reasonCode = Self.fit(reason.code, 64)
        self.reason = Self.fit(reason.message, 1024)
        payload = value.map { Array($0.prefix(Self.payloadLimit)) }
        payloadBytes = value.map { Int64($0.count) }
        self.attempts = Int64(max(0, attempts))
    }

    /// `text` if it has at most `limit` scalars; else a prefix and `…[N B sha256:xxxxxxxx]` in `limit`.
    static func fit(_ text: String, _ limit: Int) -> String {
        let scalars = text.unicodeScalars
        guard scalars.count > limit else { return text }
        let digest = SHA256.hash(data: Array(text.utf8)).prefix(4).map { byte in
            (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }.joined()
        let suffix = "…[\(text.utf8.count) B sha256:\(digest)]"
        let keep = max(0, limit - suffix.unicodeScalars.count)
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars.prefix(keep))
        return String(view) + suffix
    }
}

extension OriginRecord {
    /// Whether it names a record the `dead_letters` key can hold unchanged (a forged origin header
    /// that does not is replaced by the record's own coordinates).
    var fitsDeadLetters: Bool {
        (1...16).contains(cluster.unicodeScalars.count) && (1...128).contains(topic.unicodeScalars.count) && partition >= 0
            && offset >= 0
    }
}
