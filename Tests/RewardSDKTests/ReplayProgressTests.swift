import Kafka
@testable import RewardSDK
import Testing

@Suite("Replay progress and per-record batch outcomes")
struct ReplayProgressTests {
    @Test("Done records are never handed out again; the checkpoint prefix moves only over contiguous done records")
    func progress() {
        var progress = ReplayProgress(count: 10)
        #expect(progress.pending(limit: 4) == [0, 1, 2, 3])
        // 0, 2 and 3 acknowledged, 1 failed: the prefix stops at 1.
        var moved = progress.complete([0, 2, 3])
        #expect(moved)
        #expect(progress.prefix == 1 && progress.remaining == 7)
        #expect(progress.pending(limit: 4) == [1, 4, 5, 6])
        moved = progress.complete([5])
        #expect(!moved, "a gap before it: the prefix stays")
        moved = progress.complete([1])
        #expect(moved)
        #expect(progress.prefix == 4)
        #expect(progress.pending(limit: 10) == [4, 6, 7, 8, 9])
        progress.complete([4, 6, 7, 8, 9, 9])
        #expect(progress.isComplete && progress.prefix == 10 && progress.remaining == 0)
        #expect(progress.pending(limit: 1).isEmpty)
        #expect(ReplayProgress(count: 0).isComplete)
    }

    @Test("A record one cluster refused is not handed to it again; it is for the quarantine only once every cluster refused it")
    func refusals() {
        var progress = ReplayProgress(count: 4)
        let firstByA = progress.refused(1, by: 0, of: 2)
        #expect(!firstByA, "B has not refused it")
        #expect(progress.pending(limit: 4, for: 0) == [0, 2, 3])
        #expect(progress.pending(limit: 4, for: 1) == [0, 1, 2, 3])
        #expect(progress.pending(limit: 4) == [0, 1, 2, 3])
        let againByA = progress.refused(1, by: 0, of: 2)
        #expect(!againByA, "the same cluster again")
        let byB = progress.refused(1, by: 1, of: 2)
        #expect(byB)
        let alone = progress.refused(2, by: 0, of: 1)
        #expect(alone, "with one cluster, its refusal is every cluster's")
    }

    @Test("A batch keeps each record's outcome; records without a result by the deadline time out")
    func batchOutcomes() async {
        let result = await withUnsafeContinuation { continuation in
            let delivery = BatchDelivery(count: 4, continuation: continuation)
            delivery.record(2, .acknowledged)
            delivery.record(0, .failed(KafkaError(code: .messageSizeTooLarge, message: "too large")))
            delivery.record(2, .failed(KafkaError(code: .queueFull, message: "late duplicate result")))  // ignored
            delivery.record(3, .acknowledged)
            delivery.expire()
            delivery.record(1, .acknowledged)  // after the deadline: ignored
        }
        #expect(result.outcomes.map(\.isAcknowledged) == [false, false, true, true])
        if case .failed(let error) = result.outcomes[0] { #expect(error.isPermanent) } else { Issue.record("record 0 failed") }
        if case .timedOut = result.outcomes[1] {} else { Issue.record("record 1 timed out") }
        #expect(result.acknowledged == 2 && !result.allAcknowledged && result.firstError == "MSG_SIZE_TOO_LARGE")
    }

    @Test("Permanent produce errors are told apart from retriable and fatal ones")
    func permanentErrors() {
        for code in [KafkaError.Code.messageSizeTooLarge, .topicAuthorizationFailed, .unknownTopicOrPartition, .invalidRecord] {
            #expect(KafkaError(code: code, message: "").isPermanent, "\(code)")
        }
        #expect(!KafkaError(code: .queueFull, message: "", isRetriable: true).isPermanent)
        #expect(!KafkaError(code: .messageTimedOut, message: "", isRetriable: true).isPermanent)
        #expect(!KafkaError(code: .topicAuthorizationFailed, message: "", isFatal: true).isPermanent, "fatal: rebuild the client")
    }
}
