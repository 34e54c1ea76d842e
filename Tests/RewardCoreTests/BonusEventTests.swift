import RewardCore
import Testing

@Suite("BonusEvent wire format")
struct BonusEventTests {
    static let event = BonusEvent(
        orderID: Fixtures.orderID, activity: Fixtures.activity, user: Fixtures.user,
        bonus: BonusContent(rewardType: "cash_red_envelope", amount: 888, extensions: ["round": "1", "note": "新年快乐"]),
        lane: .cash, grantedAtMilliseconds: 1_795_000_000_123, token: "AQEAAAAA")

    @Test func roundTrips() throws {
        let decoded = try BonusEvent.decode(Self.event.encoded())
        #expect(decoded == Self.event)
        #expect(Self.event.key == Array(Fixtures.orderID.rawValue.utf8))
    }

    @Test func version2CarriesTheGrantingServiceAndVersion1StillDecodes() throws {
        var event = Self.event
        event.grantedBy = "rain-service"
        let encoded = event.encoded()
        #expect(encoded[0] == 2)
        #expect(try BonusEvent.decode(encoded).grantedBy == "rain-service")
        // A version 1 record: the same fields without the last one.
        var unattributed = Self.event.encoded()
        #expect(unattributed.last == 0, "an empty granted-by is one zero length byte")
        unattributed.removeLast()
        unattributed[0] = 1
        let legacy = try BonusEvent.decode(unattributed)
        #expect(legacy == Self.event && legacy.grantedBy == nil)
        // A version 1 record read as version 2 is cut short; a version 2 one read as 1 has trailing bytes.
        var short = unattributed
        short[0] = 2
        #expect(throws: EventDecodingError.self) { try BonusEvent.decode(short) }
        var long = encoded
        long[0] = 1
        #expect(throws: EventDecodingError.self) { try BonusEvent.decode(long) }
        event.grantedBy = "no spaces allowed"
        #expect(throws: EventDecodingError.self) { try BonusEvent.decode(event.encoded()) }
    }

    @Test func encodingIsDeterministic() {
        #expect(Self.event.encoded() == Self.event.encoded())
    }

    @Test func emptyAndNullRecordsAreErrors() {
        #expect(throws: EventDecodingError(.empty, "the record has no value (a tombstone or empty payload)")) {
            try BonusEvent.decode(nil)
        }
        #expect(throws: EventDecodingError.self) { try BonusEvent.decode([]) }
    }

    @Test func unknownVersionIsRefused() {
        var bytes = Self.event.encoded()
        bytes[0] = 9
        do {
            _ = try BonusEvent.decode(bytes)
            Issue.record("version 9 was accepted")
        } catch {
            #expect(error.code == .unsupportedVersion)
        }
    }

    @Test func everyTruncationIsAnErrorNotACrash() {
        let bytes = Self.event.encoded()
        for length in 1..<bytes.count {
            #expect(throws: EventDecodingError.self, "length \(length)") { try BonusEvent.decode(Array(bytes.prefix(length))) }
        }
        #expect(throws: EventDecodingError.self) { try BonusEvent.decode(bytes + [0]) }
    }

    @Test func randomBytesNeverCrash() {
        var generator = SystemRandomNumberGenerator()
        var accepted = 0
        for _ in 0..<20_000 {
            let length = Int.random(in: 1...200, using: &generator)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            bytes[0] = 1  // get past the version check most of the time
            if (try? BonusEvent.decode(bytes)) != nil { accepted += 1 }
        }
        #expect(accepted == 0)
    }

    @Test func fieldsAreValidatedOnDecode() {
        var invalid = Self.event
        invalid.user = User(id: "bad user", deviceID: "d", appID: "a")
        do {
            _ = try BonusEvent.decode(invalid.encoded())
            Issue.record("an invalid user id was accepted")
        } catch {
            #expect(error.code == .invalidField)
        }
        var negative = Self.event
        negative.bonus.amount = -5
        #expect(throws: EventDecodingError.self) { try BonusEvent.decode(negative.encoded()) }
    }
}
