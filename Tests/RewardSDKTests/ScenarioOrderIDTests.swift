import RewardCore
import RewardSDK
import Testing

@Suite("Scenario order ids")
struct ScenarioOrderIDTests {
    @Test("Each scenario's order id has its documented format and is the same on a retry")
    func formats() throws {
        #expect(try RedEnvelopeRain.orderID(activityID: "gala-2027", round: 3, userID: "u1", dropIndex: 17).rawValue
            == "rain:gala-2027:3:u1:17")
        #expect(try CardCollection.orderID(activityID: "gala-2027", userID: "u1", draw: 0).rawValue == "cards:gala-2027:u1:0")
        #expect(try Fireworks.orderID(activityID: "gala-2027", showID: "show.8pm", userID: "u1", prize: 2).rawValue
            == "fireworks:gala-2027:show.8pm:u1:2")
        #expect(try RedEnvelopeRain.orderID(activityID: "a", round: 1, userID: "u", dropIndex: 2)
            == RedEnvelopeRain.orderID(activityID: "a", round: 1, userID: "u", dropIndex: 2))
    }

    @Test("A part with ':' (or anything but identifier characters), a negative number, or an id too long is refused")
    func invalidParts() {
        let refused: [@Sendable () throws -> OrderID] = [
            { try RedEnvelopeRain.orderID(activityID: "a:b", round: 1, userID: "u", dropIndex: 1) },
            { try RedEnvelopeRain.orderID(activityID: "a", round: -1, userID: "u", dropIndex: 1) },
            { try CardCollection.orderID(activityID: "a", userID: "u 1", draw: 1) },
            { try Fireworks.orderID(activityID: "a", showID: "", userID: "u", prize: 1) },
            {
                try Fireworks.orderID(activityID: String(repeating: "a", count: 64), showID: String(repeating: "s", count: 64),
                                      userID: "u", prize: 1)
            },
        ]
        for make in refused {
            do {
                let id = try make()
                Issue.record("\(id) was accepted")
            } catch let error as RewardError {
                #expect(error.code == .invalidOrderID)
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }
}
