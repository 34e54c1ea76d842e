import DownstreamSimulator
import Foundation
import RewardTestKit
import Testing

@Suite("Downstream simulator")
struct DownstreamSimulatorTests {
    static func creditJSON(_ order: String, amount: Int = 1) -> String {
        #"{"orderId":"\#(order)","userId":"u1","rewardType":"prize_partner","amount":\#(amount),"unit":"item"}"#
    }

    @Test("Idempotent by key: a repeat answers 409 with the same reference and is not counted twice")
    func idempotentByKey() async throws {
        try await withSimulator(knobs: SimulatorKnobs(capacityPerSlice: 100)) { simulator, port in
            let url = "http://127.0.0.1:\(port)/credits"
            let first = try await post(url, json: Self.creditJSON("a-1"), headers: ["Idempotency-Key": "a-1"])
            let again = try await post(url, json: Self.creditJSON("a-1"), headers: ["Idempotency-Key": "a-1"])
            let reused = try await post(url, json: Self.creditJSON("a-1", amount: 5), headers: ["Idempotency-Key": "a-1"])
            let missing = try await post(url, json: Self.creditJSON("a-2"))
            #expect(first.status == 200)
            #expect(again.status == 409)
            #expect(first.body["reference"] != nil && again.body["reference"] == first.body["reference"])
            #expect(reused.status == 422)
            #expect(missing.status == 400)
            let stats = simulator.stats
            #expect(stats.accepted == 1 && stats.distinctOrderIds == 1)
            #expect(stats.duplicates == 1 && stats.keyReused == 1 && stats.invalid == 1)
        }
    }

    @Test("Beyond the capacity of a 100 ms slice the answer is 429; /control and /stats work over HTTP")
    func capacityControlAndStats() async throws {
        try await withSimulator(knobs: SimulatorKnobs(capacityPerSlice: 3)) { _, port in
            let base = "http://127.0.0.1:\(port)"
            let answers = try await withThrowingTaskGroup(of: SimpleResponse.self) { group in
                for index in 0..<30 {
                    group.addTask {
                        try await post("\(base)/credits", json: Self.creditJSON("c-\(index)"), headers: ["Idempotency-Key": "c-\(index)"])
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let limited = answers.filter { $0.status == 429 }
            #expect(!limited.isEmpty)
            #expect(limited.allSatisfy { $0.headers["retry-after"] == "1" })
            #expect(answers.filter { $0.status == 200 }.count + limited.count == 30)

            let control = try await post("\(base)/control", json: #"{"capacityPerSlice": 50, "latencyMs": 20}"#)
            #expect(control.status == 200)
            let started = ContinuousClock.now
            #expect(try await post("\(base)/credits", json: Self.creditJSON("slow"), headers: ["Idempotency-Key": "slow"]).status == 200)
            #expect(ContinuousClock.now - started >= .milliseconds(20), "the latency applies live")

            let (status, data) = try await get("\(base)/stats")
            #expect(status == 200)
            let stats = try JSONDecoder().decode(SimulatorStats.self, from: data)
            #expect(stats.capacityPerSlice == 50)
            #expect(stats.rejected429 == limited.count)
            #expect(stats.accepted == 30 - limited.count + 1)
            #expect(stats.slices.reduce(0) { $0 + $1.count } == stats.accepted, "every admitted request is in the histogram")
            #expect(stats.slices.filter { $0.slice < stats.slices.last!.slice }.allSatisfy { $0.count <= 3 },
                    "slices before the change held the old capacity")
        }
    }

    @Test("/control refuses out-of-range knobs with a 400 naming the field, and keeps serving (an Int64.min offset once trapped)")
    func controlRangeChecked() async throws {
        try await withSimulator(knobs: SimulatorKnobs(capacityPerSlice: 50)) { _, port in
            let base = "http://127.0.0.1:\(port)"
            let tooMany = "[" + Array(repeating: "1", count: 17).joined(separator: ",") + "]"
            let refused: [(String, String)] = [
                (#"{"senderClockOffsetsMs": [-9223372036854775808]}"#, "within ±"),
                (#"{"senderClockOffsetsMs": [86400001]}"#, "within ±"),
                ("{\"senderClockOffsetsMs\": \(tooMany)}", "at most 16"),
                (#"{"latencyMs": 9223372036854775807}"#, "latencyMs"),
                (#"{"errorRate": 2}"#, "errorRate"),
                (#"{"capacityPerSlice": -1}"#, "capacityPerSlice"),
            ]
            for (body, words) in refused {
                let answer = try await post("\(base)/control", json: body)
                #expect(answer.status == 400, "\(body)")
                #expect(answer.body["error"]?.contains(words) == true, "\(body): \(answer.body)")
            }
            let accepted = try await post("\(base)/control", json: #"{"senderClockOffsetsMs": [3600000, -86400000]}"#)
            #expect(accepted.status == 200)
            // A stamp an hour ahead (a declared sender) and one a day behind are both still served.
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            for (index, stamp) in [now + 3_600_000, now - 86_400_000, Int64(-99_999_999_999_999)].enumerated() {
                let answer = try await post("\(base)/credits", json: Self.creditJSON("skew-\(index)"),
                                            headers: ["Idempotency-Key": "skew-\(index)", "X-Reward-Paced-At": "\(stamp)"])
                #expect(answer.status == 200, "stamp \(stamp)")
            }
            let (_, data) = try await get("\(base)/stats")
            #expect(try JSONDecoder().decode(SimulatorStats.self, from: data).capacityPerSlice == 50, "a refused control changed nothing")
        }
    }

    @Test("reward-admin downstream-sim prints its port, serves, and stops on SIGTERM")
    func commandLine() async throws {
        let admin = "\(try TestEnvironment.binPath())/reward-admin"
        let child = try ChildProcess(admin, ["downstream-sim", "--port", "0", "--capacity-per-slice", "7"])
        do {
            let line = try await withDeadline(.seconds(20), "the port line") { try await child.firstLine() }
            let port = try #require(line.split(separator: ":").last.flatMap { Int($0) }, "no port in '\(line)'")
            #expect(line.hasPrefix("downstream-sim: listening on 127.0.0.1:"))
            let (status, data) = try await get("http://127.0.0.1:\(port)/stats")
            #expect(status == 200)
            #expect(try JSONDecoder().decode(SimulatorStats.self, from: data).capacityPerSlice == 7)
            let exit = try await withDeadline(.seconds(20), "exit after SIGTERM") { await child.terminate() }
            #expect(exit == 0)
        } catch {
            _ = await child.terminate()
            throw error
        }
    }
}

/// A child process whose first output line can be awaited; reads and waits happen on threads of
/// their own, never on the cooperative pool.
final class ChildProcess: Sendable {
    private let process: Process
    private let output: Pipe

    init(_ path: String, _ arguments: [String]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// The first line the process printed.
    func firstLine() async throws -> String {
        let handle = output.fileHandleForReading
        return try await withCheckedThrowingContinuation { continuation in
            Thread {
                var buffer = Data()
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty {
                        continuation.resume(throwing: TestFailure("the process closed its output before a line"))
                        return
                    }
                    buffer.append(chunk)
                    if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                        continuation.resume(returning: String(decoding: buffer[..<newline], as: UTF8.self))
                        return
                    }
                }
            }.start()
        }
    }

    /// Sends SIGTERM and returns the exit status.
    func terminate() async -> Int32 {
        if process.isRunning { process.terminate() }
        return await withCheckedContinuation { continuation in
            Thread { [process] in
                process.waitUntilExit()
                continuation.resume(returning: process.terminationStatus)
            }.start()
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
