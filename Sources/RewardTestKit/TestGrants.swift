public import Foundation
public import RewardCore
public import RewardSettlement

/// Grants for tests: signed by the test key ring and verified by it, as the engine requires.
/// The ring's key is published (in this file's sibling ``LaneHarness``), so a production process
/// refuses it; tests and child processes run in development mode.
public enum TestGrants {
    public static var keyRing: TokenKeyRing { LaneHarness.keyRing }

    /// A grant as the SDK builds it, with a genuine token. Fields are not validated, so a test can
    /// build grants the engine must refuse for their fields.
    public static func event(order: String, user: String, type: String = "cash_red_envelope", amount: Int64,
                             activity: String = "fest", lane: Lane = .cash,
                             grantedAt: Date = Date(timeIntervalSince1970: 1_790_000_000), ring: TokenKeyRing = keyRing) -> BonusEvent {
        let token = ring.mint(orderID: OrderID(order), userID: user, rewardType: type, amount: amount, activityID: activity,
                                 issuedAt: grantedAt)
        return BonusEvent(
            orderID: OrderID(order), activity: Activity(id: activity, sceneID: "rain"),
            user: User(id: user, deviceID: "device-\(user)", appID: "app"),
            bonus: BonusContent(rewardType: type, amount: amount), lane: lane,
            grantedAtMilliseconds: Int64(grantedAt.timeIntervalSince1970 * 1000), token: token.encoded)
    }

    /// The event with a token the test key ring minted for its current fields and grant time.
    public static func signed(_ event: BonusEvent) -> BonusEvent {
        var event = event
        event.token = keyRing.mint(orderID: event.orderID, userID: event.user.id, rewardType: event.bonus.rewardType,
                                   amount: event.bonus.amount, activityID: event.activity.id,
                                   issuedAt: Date(timeIntervalSince1970: Double(max(0, event.grantedAtMilliseconds)) / 1000)).encoded
        return event
    }

    /// The verified grant of an event the test key ring signed. A test that passes an event whose
    /// token does not verify has a bug; it stops here, loudly.
    public static func verified(_ event: BonusEvent) -> VerifiedGrant {
        do {
            return try keyRing.verify(event, activityFrom: .ourRecords, now: nil)
        } catch {
            preconditionFailure("test grant \(event.orderID) does not verify: \(error)")
        }
    }
}

extension SettlementRequest {
    /// A request for the grant the SDK would have issued for exactly these fields: the event is
    /// signed again by the test key ring (keeping its grant time), then verified. Tests that change
    /// an event's user or amount to provoke a conflict get a genuine grant for the changed fields,
    /// as a caller reusing an order id would; tests of forged tokens go through the verifiers instead.
    public init(testEvent event: BonusEvent, source: SettlementSource) {
        self.init(grant: TestGrants.verified(TestGrants.signed(event)), source: source)
    }
}
