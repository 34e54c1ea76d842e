import Foundation
import Kafka
import RewardCore
import RewardTestKit
import Testing

extension RewardAPITests {
    @Test("A grant every cluster refuses for good: 502 delivery_refused with a token that expired at issue, nothing recorded")
    func refusedForGood() async throws {
        try await APIHarness.with("api_refused") { api in
            try await api.client.start(timeout: .seconds(20))
            for cluster in api.clusters {
                cluster.cluster.pushRequestErrors(.produce, [.topicAuthorizationFailed])
            }
            let refused = try await api.send("POST", "/v1/bonus", json: APIHarness.grant(order: "api-refused-1", user: "jo", amount: 300),
                                             sign: true)
            #expect(refused.status == 502 && refused.code == "delivery_refused", "\(refused.text)")
            let encoded = try #require(refused.json["token"] as? String, "the refusal carries the grant's token: \(refused.text)")
            let token = try RewardToken(parsing: encoded)
            #expect(token.amount == 300 && token.expiresAt == token.issuedAt, "the token expired when it was issued")
            // Nothing was produced or spooled, so nothing records or credits it.
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await api.wallet.fixture.count("SELECT COUNT(*) FROM reward_tokens WHERE order_id = 'api-refused-1'") == 0)
            #expect(api.client.spoolDepth == 0)
        }
    }
}
