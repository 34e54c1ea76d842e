import Foundation
import MetricsTestKit
import RewardCore
@testable import RewardSDK
import RewardTestKit
import Testing

extension SDKIntegrationTests {
    @Suite("Invalid grants")
    struct ValidationTests {
        /// One grant per field, each wrong in its own way, with the code it must be refused with.
        static func invalidGrants() -> [(RewardError.Code, SampleGrant)] {
            var cases: [(RewardError.Code, SampleGrant)] = []
            func add(_ code: RewardError.Code, _ change: (inout SampleGrant) -> Void) {
                var grant = SampleGrant(0, prefix: "invalid")
                change(&grant)
                cases.append((code, grant))
            }
            add(.invalidActivityID) { $0.activity.id = "" }
            add(.invalidSceneID) { $0.activity.sceneID = "round 1" }
            add(.invalidUserID) { $0.user.id = "u:1" }
            add(.invalidDeviceID) { $0.user.deviceID = "dev 1" }
            add(.invalidAppID) { $0.user.appID = String(repeating: "a", count: 65) }
            add(.invalidOrderID) { $0.orderID = OrderID("order/1") }
            add(.invalidRewardType) { $0.bonus.rewardType = "cash red" }
            add(.unknownRewardType) { $0.bonus.rewardType = "no_such_type" }
            add(.rewardTypeDisabled) { $0.bonus = BonusContent(rewardType: "frame_gold", amount: 1) }
            add(.amountOutOfRange) { $0.bonus.amount = 0 }
            add(.amountOutOfRange) { $0.bonus.amount = 88_801 }
            add(.invalidExtension) { $0.bonus.extensions = ["bad key": "x"] }
            add(.extensionTooLarge) { $0.bonus.extensions = ["big": String(repeating: "x", count: 300)] }
            add(.extensionTooLarge) {
                $0.bonus.extensions = Dictionary(uniqueKeysWithValues: (0..<17).map { ("k\($0)", "v") })
            }
            return cases
        }

        @Test("Every invalid field has its own code; nothing is produced or spooled")
        func invalidFieldsAreRefused() async throws {
            let bed = try SDKTestBed(name: "validation")
            var configuration = bed.configuration()
            configuration.catalog.setEnabled(false, for: "frame_gold")
            let metrics = TestMetrics()
            let client = try await bed.makeClient(configuration, metrics: metrics)

            let cases = Self.invalidGrants()
            #expect(Set(cases.map(\.0.rawValue)).count == 12, "one case per field code")
            for (expected, grant) in cases {
                do {
                    _ = try await grant.send(client)
                    Issue.record("\(expected) was accepted")
                } catch {
                    #expect(error.code == expected, "expected \(expected), got \(error)")
                }
            }
            let rejected = cases.reduce(into: [String: Int64]()) { $0["rejected:\($1.0.rawValue)", default: 0] += 1 }
            for (outcome, count) in rejected {
                #expect(metrics.grants(outcome) == count, "\(outcome)")
            }

            #expect(try await bed.storedCount(.a) == 0)
            #expect(try await bed.storedCount(.b) == 0)
            #expect(client.spoolDepth == 0)
            #expect(try bed.spoolSegments().isEmpty)

            // The same checks see a valid grant, so they could have failed.
            _ = try await SampleGrant(1, prefix: "valid").send(client)
            let stored = try await bed.storedCount(.a) + bed.storedCount(.b)
            #expect(stored == 1)
            await client.shutdown()
        }

        @Test("After shutdown a grant is refused with shutting_down")
        func refusedAfterShutdown() async throws {
            let bed = try SDKTestBed(name: "closed")
            let client = try await bed.makeClient()
            await client.shutdown()
            await #expect(throws: RewardError(.shuttingDown, "the reward client is shutting down")) {
                _ = try await SampleGrant(1).send(client)
            }
        }
    }
}
