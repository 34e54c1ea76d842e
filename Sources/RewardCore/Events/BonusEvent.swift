/// A granted reward on its way to a ledger: what the SDK produces and every consumer decodes.
///
/// The wire format is a versioned binary record (see `topics/schema/bonus-event.md`); the Kafka
/// key is the order id, so every copy of one order lands on one partition of a topic.
public struct BonusEvent: Sendable, Hashable {
    /// The version this build writes: 2 adds ``grantedBy``. Decoders read 1 and 2 and refuse
    /// versions they do not know instead of guessing.
    public static let schemaVersion: UInt8 = 2

    public var orderID: OrderID
    public var activity: Activity
    public var user: User
    public var bonus: BonusContent
    public var lane: Lane
    /// When the SDK accepted the grant, in milliseconds since the Unix epoch.
    public var grantedAtMilliseconds: Int64
    /// The token returned to the caller; it travels so a consumer can verify the grant and
    /// record the token if the SDK's own write was lost.
    public var token: String
    /// The service that granted it (its id in `api.services`, or the SDK host's `sdk.serviceID`);
    /// `nil` when unknown (schema version 1, or a host without a service id).
    public var grantedBy: String?

    public init(orderID: OrderID, activity: Activity, user: User, bonus: BonusContent, lane: Lane,
                grantedAtMilliseconds: Int64, token: String, grantedBy: String? = nil) {
        self.orderID = orderID
        self.activity = activity
        self.user = user
        self.bonus = bonus
        self.lane = lane
        self.grantedAtMilliseconds = grantedAtMilliseconds
        self.token = token
        self.grantedBy = grantedBy
    }

    /// The Kafka record key: the order id's UTF-8 bytes.
    public var key: [UInt8] { Array(orderID.rawValue.utf8) }

    /// The record value, schema version 2.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 160 + bonus.extensions.count * 32)
        writer.uint8(Self.schemaVersion)
        writer.string(orderID.rawValue)
        writer.string(activity.id)
        writer.string(activity.sceneID)
        writer.string(user.id)
        writer.string(user.deviceID)
        writer.string(user.appID)
        writer.string(bonus.rewardType)
        writer.int64(bonus.amount)
        writer.int64(grantedAtMilliseconds)
        writer.string(token)
        writer.uint8(lane == .cash ? 0 : 1)
        writer.uvarint(UInt64(bonus.extensions.count))
        if bonus.extensions.count == 1, let (key, value) = bonus.extensions.first {
            // The usual case: one entry needs no sorted copy of the dictionary.
            writer.string(key)
            writer.string(value)
        } else {
            for (key, value) in bonus.extensions.sorted(by: { $0.key < $1.key }) {
                writer.string(key)
                writer.string(value)
            }
        }
        writer.string(grantedBy ?? "")
        return writer.bytes
    }

    /// Decodes a record value and checks its fields with the same rules as a grant.
    /// - Throws: ``EventDecodingError`` for an empty (tombstone) or truncated record, an unknown
    ///   schema version, invalid UTF-8, trailing bytes, or a field a grant could not carry.
    public static func decode(_ bytes: [UInt8]?) throws(EventDecodingError) -> BonusEvent {
        guard let bytes, !bytes.isEmpty else { throw EventDecodingError(.empty, "the record has no value (a tombstone or empty payload)") }
        var reader = ByteReader(bytes)
        let event: BonusEvent
        do {
            let version = try reader.uint8("schema version")
            guard version == 1 || version == 2 else {
                throw EventDecodingError(.unsupportedVersion, "schema version \(version); this build reads versions 1 and 2")
            }
            let orderID = try reader.string("order id", maximumBytes: GrantValidation.maximumOrderIDLength)
            let activityID = try reader.string("activity id")
            let sceneID = try reader.string("scene id")
            let userID = try reader.string("user id")
            let deviceID = try reader.string("device id")
            let appID = try reader.string("app id")
            let rewardType = try reader.string("reward type")
            let amount = try reader.int64("amount")
            let grantedAt = try reader.int64("granted at")
            let token = try reader.string("token", maximumBytes: 255)
            let laneByte = try reader.uint8("lane")
            guard laneByte <= 1 else { throw EventDecodingError(.malformed, "lane \(laneByte) is neither cash (0) nor goods (1)") }
            let count = try reader.uvarint("extension count")
            guard count <= UInt64(GrantValidation.maximumExtensions) else {
                throw EventDecodingError(.malformed, "\(count) extensions, at most \(GrantValidation.maximumExtensions)")
            }
            var extensions: [String: String] = [:]
            for _ in 0..<count {
                let key = try reader.string("extension key")
                extensions[key] = try reader.string("extension value")
            }
            let grantedBy = version >= 2 ? try reader.string("granted by", maximumBytes: GrantValidation.maximumIDLength) : ""
            guard reader.isAtEnd else { throw EventDecodingError(.malformed, "trailing bytes after the last field") }
            event = BonusEvent(
                orderID: OrderID(orderID), activity: Activity(id: activityID, sceneID: sceneID),
                user: User(id: userID, deviceID: deviceID, appID: appID),
                bonus: BonusContent(rewardType: rewardType, amount: amount, extensions: extensions),
                lane: laneByte == 0 ? .cash : .goods, grantedAtMilliseconds: grantedAt, token: token,
                grantedBy: grantedBy.isEmpty ? nil : grantedBy)
        } catch let failure as ByteReader.Failure {
            throw EventDecodingError(.malformed, failure.reason)
        } catch let error as EventDecodingError {
            throw error
        } catch {
            throw EventDecodingError(.malformed, "\(error)")
        }
        do {
            try GrantValidation.validate(activity: event.activity, user: event.user, bonus: event.bonus, orderID: event.orderID)
        } catch {
            throw EventDecodingError(.invalidField, error.description)
        }
        if let service = event.grantedBy, !GrantValidation.isIdentifier(service) {
            throw EventDecodingError(.invalidField, "granted by may contain only letters, digits, '-', '_', '.' (at most 64)")
        }
        guard event.bonus.amount > 0 else { throw EventDecodingError(.invalidField, "amount \(event.bonus.amount) is not positive") }
        return event
    }
}

/// Why a record is not a usable ``BonusEvent``; such records go to the dead-letter topic.
public struct EventDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, Codable {
        case empty = "empty_record"
        case unsupportedVersion = "unsupported_schema_version"
        case malformed = "malformed_record"
        case invalidField = "invalid_field"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
