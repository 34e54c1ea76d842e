import Foundation
import Logging
import MariaDB
import MetricsTestKit
import RewardCore
import RewardSettlement
import RewardTestKit
import RewardWallet

/// A withdrawal service and a wallet reader over a ``SettlementFixture``'s database, with the
/// test key ring of ``LaneHarness`` (so consumers and withdrawals verify the same tokens).
struct WalletHarness {
    let fixture: SettlementFixture
    let stores: WalletStores
    let engine: SettlementEngine
    let service: WithdrawalService
    let reader: WalletReader
    let metrics: TestMetrics

    init(_ fixture: SettlementFixture, configure: (inout WithdrawalService.Configuration) -> Void = { _ in }) {
        self.fixture = fixture
        stores = WalletStores(single: fixture.pool)
        metrics = TestMetrics()
        let quiet = Logger(label: "wallet-test") { _ in SwiftLogNoOpLogHandler() }
        engine = fixture.engine(logger: quiet)
        var configuration = WithdrawalService.Configuration()
        configuration.attemptsPerUser = 1_000
        configure(&configuration)
        service = WithdrawalService(
            configuration: configuration, stores: stores, engine: engine, payout: PayoutLedger(shards: stores.settlement.wallet),
            catalog: fixture.catalog, keyRing: LaneHarness.keyRing, logger: quiet, metrics: metrics)
        reader = WalletReader(stores: stores, catalog: fixture.catalog, logger: quiet, metrics: metrics)
    }

    /// Records grants' tokens in `reward_tokens`, as the SDK's recorder does.
    func recordTokens(_ grants: [BonusEvent]) async throws {
        for start in stride(from: 0, to: grants.count, by: 500) {
            var query: SQLQuery = """
                INSERT INTO reward_tokens (user_id, order_id, token, activity_id, scene_id, reward_type, amount, issued_at,
                    expires_at, recorded_by, recorded_at) VALUES
                """
            for (index, grant) in grants[start..<min(start + 500, grants.count)].enumerated() {
                let issued = Date(timeIntervalSince1970: Double(grant.grantedAtMilliseconds) / 1000)
                query.append(sql: index == 0 ? " " : ", ")
                query.append("""
                    (\(grant.user.id), \(grant.orderID.rawValue), \(grant.token), \(grant.activity.id), \(grant.activity.sceneID), \
                    \(grant.bonus.rewardType), \(grant.bonus.amount), \(issued), \(issued.addingTimeInterval(30 * 86_400)), 'sdk', \(Date()))
                    """)
            }
            try await fixture.pool.execute(query)
        }
    }

    /// Credits grants straight through the engine (as a consumer would).
    func settle(_ grants: [BonusEvent]) async -> [SettlementOutcome] {
        await engine.settle(grants.map { SettlementRequest(testEvent: $0, source: .drain) })
    }

    func balance(_ user: String, _ currency: String = "CNY") async throws -> Int64 {
        try await fixture.balances()[SettlementFixture.AccountKey(userID: user, currency: currency)] ?? 0
    }

    /// Every account's balance equals the sum of its entries, and every transfer balances.
    func booksBalance() async throws -> Bool {
        let balances = try await fixture.balances().filter { $0.value != 0 }
        let sums = try await fixture.entrySums().filter { $0.key.userID != "~payout" && $0.value != 0 }
        let unbalanced = try await fixture.unbalancedTransfers()
        return balances == sums && unbalanced == 0
    }

    /// Tokens granted now (unexpired for the presented-token checks).
    static func freshGrant(order: String, user: String, amount: Int64, type: String = "cash_red_envelope",
                           ring: TokenKeyRing = LaneHarness.keyRing, issuedAt: Date = Date(), activity: String = "fest",
                           version: RewardToken.Version = .v2) -> BonusEvent {
        var ring = ring
        ring.mintVersion = version
        let token = ring.mint(orderID: OrderID(order), userID: user, rewardType: type, amount: amount, activityID: activity,
                              issuedAt: issuedAt)
        return BonusEvent(
            orderID: OrderID(order), activity: Activity(id: activity, sceneID: "rain"),
            user: User(id: user, deviceID: "device-\(user)", appID: "app"), bonus: BonusContent(rewardType: type, amount: amount),
            lane: .cash, grantedAtMilliseconds: Int64(issuedAt.timeIntervalSince1970) * 1000, token: token.encoded)
    }
}

extension PresentedToken {
    init(_ grant: BonusEvent) {
        self.init(token: grant.token, orderID: grant.orderID.rawValue, rewardType: grant.bonus.rewardType, amount: grant.bonus.amount,
                  activityID: grant.activity.id, sceneID: grant.activity.sceneID)
    }
}
