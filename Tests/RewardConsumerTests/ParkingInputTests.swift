import Kafka
@testable import RewardConsumer
import Testing

/// The pure checks behind parking: headers read with ranges, dead-letter rows that always fit.
@Suite("Parking inputs are range-checked and always fit")
struct ParkingInputTests {
    static func message(_ headers: [(String, String)]) -> KafkaConsumerMessage {
        KafkaConsumerMessage(topic: "reward-cash-retry", partition: 0, offset: 7, key: nil, value: [1],
                             headers: headers.map { KafkaHeader(name: $0.0, value: Array($0.1.utf8)) })
    }

    @Test("Headers out of range are refused, never used in arithmetic",
          arguments: [
            (ParkingHeaders.attempts, "9223372036854775807"), (ParkingHeaders.attempts, "-1"), (ParkingHeaders.attempts, "10001"),
            (ParkingHeaders.retryPasses, "1e3"), (ParkingHeaders.retryPasses, ""), (ParkingHeaders.retryDelay, "3600001"),
            (ParkingHeaders.retryDelay, " 5"), (ParkingHeaders.notBefore, "9223372036854775807"),
            (ParkingHeaders.notBefore, "99999999999999999999999"),
          ])
    func refused(name: String, value: String) {
        #expect(throws: Rejection.self) { try ParkingHeaders.read(Self.message([(name, value)]), nowMilliseconds: 1_800_000_000_000) }
    }

    @Test("A delay is a duration read on this process's clock; a legacy not-before is capped, whatever clock wrote it")
    func delays() throws {
        let now: Int64 = 1_800_000_000_000
        #expect(try ParkingHeaders.read(Self.message([(ParkingHeaders.retryDelay, "5000")]), nowMilliseconds: now)
            .retryDelayMilliseconds == 5_000)
        // The delay wins over a not-before written by a producer an hour ahead.
        let skewed = [(ParkingHeaders.retryDelay, "5000"), (ParkingHeaders.notBefore, String(now + 3_605_000))]
        #expect(try ParkingHeaders.read(Self.message(skewed), nowMilliseconds: now).retryDelayMilliseconds == 5_000)
        // An old producer's not-before alone: an hour ahead is capped at the longest delay, behind is due now.
        #expect(try ParkingHeaders.read(Self.message([(ParkingHeaders.notBefore, String(now + 7_200_000))]), nowMilliseconds: now)
            .retryDelayMilliseconds == ParkingHeaders.maximumRetryDelayMilliseconds)
        #expect(try ParkingHeaders.read(Self.message([(ParkingHeaders.notBefore, String(now - 3_600_000))]), nowMilliseconds: now)
            .retryDelayMilliseconds == 0)
        #expect(try ParkingHeaders.read(Self.message([]), nowMilliseconds: now) == ParkingHeaders.Parsed())
    }

    @Test("Every dead-letter field fits its column, kept whole when it fits, else cut with its length and hash")
    func rowsFit() {
        let own = OriginRecord(cluster: "A", topic: "reward-cash", partition: 1, offset: 9)
        let hostile = OriginRecord(cluster: String(repeating: "C", count: 200), topic: "t", partition: 0, offset: 1)
        let combining = "e" + String(repeating: "\u{301}", count: 5_000)  // one grapheme, 5,001 code points
        let row = DeadLetterRow(origin: hostile, own: own, orderID: String(repeating: "k", count: 300), rewardType: combining,
                                reason: Rejection(code: "malformed_record", message: combining),
                                value: [UInt8](repeating: 7, count: DeadLetterRow.payloadLimit + 10), attempts: 3)
        #expect(row.cluster == "A" && row.topic == "reward-cash" && row.offset == 9, "an origin that does not fit is not used")
        #expect(row.orderID!.unicodeScalars.count <= 128)
        #expect(row.orderID!.hasPrefix("kkkk") && row.orderID!.contains("…[300 B sha256:"))
        #expect(row.rewardType!.unicodeScalars.count <= 64)
        #expect(row.reason.unicodeScalars.count <= 1024)
        #expect(row.payload?.count == DeadLetterRow.payloadLimit)
        #expect(row.payloadBytes == Int64(DeadLetterRow.payloadLimit + 10))
        let plain = DeadLetterRow(origin: nil, own: own, orderID: "o-1", rewardType: "cash", reason: Rejection(code: "c", message: "m"),
                                  value: [1, 2], attempts: 0)
        #expect(plain.orderID == "o-1" && plain.payload == [1, 2] && plain.payloadBytes == 2)
    }
}
