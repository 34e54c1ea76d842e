import Foundation
import MetricsTestKit
import RewardCore
@testable import RewardSDK
import RewardTestKit
import Testing

extension SDKIntegrationTests {
    @Suite("Delivery to two healthy clusters")
    struct DeliveryTests {
        @Test("20,000 grants from 200 tasks: every event on A or B, order ids and tokens intact")
        func normalPath() async throws {
            let bed = try SDKTestBed(name: "normal")
            let metrics = TestMetrics()
            let client = try await bed.makeClient(metrics: metrics)
            let count = 20_000
            let tokens = try await grantConcurrently(client, count: count, tasks: 200, prefix: "normal")
            await client.shutdown()
            #expect(tokens.count == count)
            #expect(metrics.grants("spooled") == 0)
            let ackedA = metrics.grants("acked_a")
            let ackedB = metrics.grants("acked_b")
            #expect(ackedA + ackedB == Int64(count))
            // Equal weights: round robin, so each cluster has about half.
            #expect(ackedA > Int64(count) * 4 / 10 && ackedB > Int64(count) * 4 / 10, "A \(ackedA), B \(ackedB)")

            let events = try await bed.events(.a) + bed.events(.b)
            var byOrder: [String: BonusEvent] = [:]
            for event in events { byOrder[event.orderID.rawValue] = event }
            #expect(byOrder.count == count, "union by order id")
            for n in stride(from: 0, to: count, by: 1) {
                let grant = SampleGrant(n, prefix: "normal")
                guard let event = byOrder[grant.orderID.rawValue], let token = tokens[n] else {
                    Issue.record("order \(grant.orderID) missing")
                    continue
                }
                #expect(event.user == grant.user && event.bonus == grant.bonus && event.activity == grant.activity)
                #expect(event.lane == (n % 2 == 0 ? .cash : .goods))
                #expect(event.token == token.encoded)
            }
            #expect(try bed.spoolSegments().isEmpty)
            #expect(try metrics.expectTimer("reward_sdk_grant_duration_seconds").values.count == count)
        }

        @Test("A token from sendBonus verifies for its event's order, user, type, amount and activity, and for nothing else")
        func tokensVerify() async throws {
            let bed = try SDKTestBed(name: "tokens")
            let client = try await bed.makeClient()
            let tokens = try await grantConcurrently(client, count: 50, tasks: 5, prefix: "tok")
            await client.shutdown()
            let events = try await bed.events(.a) + bed.events(.b)
            #expect(events.count == 50)
            for event in events {
                let claims = try bed.keyRing.verify(event, activityFrom: .client, now: Date()).claims
                #expect(claims.version == .v2)
                #expect(claims.boundActivityID == event.activity.id)
                #expect(claims.amount == event.bonus.amount)
                #expect(abs(claims.issuedAt.timeIntervalSince1970 - Double(event.grantedAtMilliseconds) / 1000) < 1)
                #expect(claims.expiresAt.timeIntervalSince(claims.issuedAt) == 3600)
                var otherUser = event
                otherUser.user.id += "x"
                var otherActivity = event
                otherActivity.activity.id += "x"
                for altered in [otherUser, otherActivity] {
                    #expect(throws: TokenError.self) { try bed.keyRing.verify(altered, activityFrom: .client, now: Date()) }
                }
            }
            #expect(Set(events.map(\.token)) == Set(tokens.values.map(\.encoded)))
        }

        @Test("Scenario facades fix activity, scene and type and build their order ids")
        func facades() async throws {
            let bed = try SDKTestBed(name: "facades")
            let client = try await bed.makeClient()
            let user = User(id: "u77", deviceID: "dev-77", appID: "main-app")
            let rain = RedEnvelopeRain(client: client, activityID: "gala")
            let cards = CardCollection(client: client, activityID: "gala")
            let fireworks = Fireworks(client: client, activityID: "gala", rewardType: "coupon_10off")
            _ = try await rain.grant(round: 3, user: user, dropIndex: 12, amount: 888)
            _ = try await rain.grant(round: 3, user: user, dropIndex: 12, amount: 888)  // a retry: same order
            _ = try await cards.grant(user: user, draw: 2, amount: 50)
            _ = try await fireworks.grant(showID: "show-8pm", user: user, prize: 4)
            await #expect(throws: RewardError.self) { _ = try await fireworks.grant(showID: "8:00", user: user, prize: 1) }
            await client.shutdown()

            let events = try await bed.events(.a) + bed.events(.b)
            let byOrder = Dictionary(grouping: events, by: \.orderID.rawValue)
            #expect(Set(byOrder.keys) == ["rain:gala:3:u77:12", "cards:gala:u77:2", "fireworks:gala:show-8pm:u77:4"])
            #expect(byOrder["rain:gala:3:u77:12"]?.count == 2)
            #expect(byOrder["rain:gala:3:u77:12"]?.first?.activity == Activity(id: "gala", sceneID: "red-envelope-rain"))
            #expect(byOrder["cards:gala:u77:2"]?.first?.bonus.rewardType == "coin_lucky")
            #expect(byOrder["fireworks:gala:show-8pm:u77:4"]?.first?.bonus.rewardType == "coupon_10off")
        }
    }
}
