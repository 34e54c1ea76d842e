import Kafka
@testable import RewardConsumer
import Testing

@Suite("Offsets are committed only past settled or parked records")
struct PartitionOffsetsTests {
    let partition = KafkaTopicPartition(topic: "reward-cash", partition: 3)

    /// `/healthz` names a partition whose commit point one record has held too long: the clock
    /// starts when the record becomes the head, restarts when the head moves, stops when none is left.
    @Test func aPartitionIsStalledWhileOneRecordHoldsItsCommitPoint() async throws {
        let offsets = PartitionOffsets()
        let other = KafkaTopicPartition(topic: "reward-cash", partition: 4)
        offsets.assign([partition, other])
        #expect(offsets.stalled(longerThan: .zero).isEmpty, "nothing in flight, nothing stalled")
        let first = try #require(offsets.begin(partition, offset: 10))
        let second = try #require(offsets.begin(partition, offset: 11))
        try await Task.sleep(for: .milliseconds(60))
        #expect(offsets.stalled(longerThan: .milliseconds(40)).map(\.partition) == [partition])
        #expect(offsets.stalled(longerThan: .seconds(5)).isEmpty)
        offsets.finish(second)
        #expect(offsets.stalled(longerThan: .milliseconds(40)).map(\.partition) == [partition], "a finish behind the head moves nothing")
        let third = try #require(offsets.begin(partition, offset: 12))
        offsets.finish(first)
        #expect(offsets.stalled(longerThan: .milliseconds(40)).isEmpty, "the head moved: its clock starts again")
        offsets.finish(third)
        try await Task.sleep(for: .milliseconds(60))
        #expect(offsets.stalled(longerThan: .milliseconds(40)).isEmpty, "none in flight")
        #expect(offsets.ownedCount == 2)
    }

    @Test func outOfOrderFinishesHoldTheCommitPointAtTheLowestOpenRecord() throws {
        let offsets = PartitionOffsets()
        offsets.assign([partition])
        let tickets = try (10..<15).map { try #require(offsets.begin(partition, offset: Int64($0))) }
        offsets.finish(tickets[2])
        offsets.finish(tickets[4])
        #expect(offsets.pendingCommits()[partition] == 10)
        offsets.finish(tickets[0])
        #expect(offsets.pendingCommits()[partition] == 11)
        offsets.finish(tickets[1])
        #expect(offsets.pendingCommits()[partition] == 13)
        offsets.finish(tickets[3])
        #expect(offsets.pendingCommits()[partition] == 15)
        #expect(offsets.inFlightCount == 0)
    }

    /// librdkafka can deliver an offset again within one assignment (a refetch after a broker
    /// comes back). Both copies finishing before the record below them once left one copy in
    /// flight for good: the commit point stuck there and the lag never reached 0.
    @Test func anOffsetDeliveredTwiceFinishesTwice() throws {
        let offsets = PartitionOffsets()
        offsets.assign([partition])
        let low = try #require(offsets.begin(partition, offset: 10))
        let first = try #require(offsets.begin(partition, offset: 11))
        let again = try #require(offsets.begin(partition, offset: 11))
        offsets.finish(first)
        offsets.finish(again)
        #expect(offsets.pendingCommits()[partition] == 10)
        #expect(offsets.inFlightCount == 1)
        offsets.finish(low)
        #expect(offsets.pendingCommits()[partition] == 12, "past both copies of offset 11")
        #expect(offsets.inFlightCount == 0)
    }

    @Test func committedPointsAreNotHandedOutAgain() throws {
        let offsets = PartitionOffsets()
        offsets.assign([partition])
        offsets.finish(try #require(offsets.begin(partition, offset: 0)))
        let points = offsets.pendingCommits()
        #expect(points == [partition: 1])
        offsets.committed(points)
        #expect(offsets.pendingCommits().isEmpty)
    }

    @Test func aRecordFinishingAfterRevokeDoesNotMoveTheNewOwnersPoint() throws {
        let offsets = PartitionOffsets()
        offsets.assign([partition])
        let stale = try #require(offsets.begin(partition, offset: 7))
        #expect(offsets.revoke([partition]) == [partition: 7])
        #expect(offsets.begin(partition, offset: 8) == nil, "not ours any more")
        offsets.assign([partition])
        _ = try #require(offsets.begin(partition, offset: 7))
        offsets.finish(stale)
        #expect(offsets.pendingCommits()[partition] == 7)
    }
}

@Suite("Bounded queue")
struct BoundedQueueTests {
    @Test func refusesBeyondCapacityUnlessForced() async {
        let queue = BoundedQueue<Int>(capacity: 2)
        #expect(queue.offer(1))
        #expect(queue.offer(2))
        #expect(!queue.offer(3))
        #expect(queue.offer(4, force: true))
        #expect(await queue.take() == 1)
        #expect(queue.takeAvailable(10) == [2, 4])
    }

    @Test func aWaitingTakerGetsTheNextOfferAndNilAfterFinish() async {
        let queue = BoundedQueue<Int>(capacity: 1)
        async let taken = queue.take()
        try? await Task.sleep(for: .milliseconds(50))
        #expect(queue.offer(9))
        #expect(await taken == 9)
        #expect(queue.offer(1))
        #expect(queue.finish() == [1])
        #expect(await queue.take() == nil)
        #expect(!queue.offer(2))
    }
}
